// `SentencePieceProcessor`: encode text to ids / pieces and decode ids back to text with the
// behaviour of the SentencePiece C++ library (`sentencepiece_processor.cc`), in TypeScript.
//
// Encoding = normalize (see normalizer.ts) → segment with the model type the proto declares
// (BPE, unigram, word, char) → post-process like `PopulateSentencePieceText`:
// - an `<unk>` piece is decomposed into its UTF-8 bytes as `<0xXX>` pieces when the model has
//   `byte_fallback`; otherwise consecutive unknown pieces merge into one `<unk>`.
// Decoding follows `Decode`: control pieces produce no text; `<unk>` produces the unknown surface
// (" \u2047 " unless the model sets `unk_surface`); runs of byte pieces are decoded as UTF-8, one
// U+FFFD per malformed byte; U+2581 becomes a space; with `add_dummy_prefix` (or
// `remove_extra_whitespaces`) the leading space symbol of the first piece is dropped; the
// denormalizer, if the model has one, runs last.
//
// Input strings are converted to UTF-8 with `TextEncoder` (a lone surrogate becomes U+FFFD). To
// pass other bytes (for example malformed UTF-8), give a `Uint8Array`.

import { TensorzooError, argumentError } from '@tensorzoo/core';
import { BpeModel } from './bpe-model.js';
import { ModelType, PieceType, parseModelProto, type SentencePieceModelProto } from './model-proto.js';
import { Normalizer } from './normalizer.js';
import { UnigramModel } from './unigram-model.js';
import { ByteBuffer, REPLACEMENT_CHARACTER, SPACE_SYMBOL, encodeStringInto, stringToUtf8, utf8ToString, validCharacterLength } from './utf8.js';
import { Segments, Vocabulary, byteToPiece, type SegmentationModel } from './vocabulary.js';
import { CharModel, WordModel } from './word-and-char-models.js';

/** The library's default unknown surface, " \u2047 " (U+2047 DOUBLE QUESTION MARK). */
const DEFAULT_UNKNOWN_SURFACE = ' \u2047 ';
/** Reused buffers larger than this many elements are dropped after the call that grew them. */
const RETAINED_BUFFER_LIMIT = 1 << 22;

export type TextInput = string | Uint8Array;

export class SentencePieceProcessor {
  readonly modelProto: SentencePieceModelProto;
  private readonly vocabulary: Vocabulary;
  private readonly model: SegmentationModel;
  private readonly normalizer: Normalizer;
  private readonly denormalizer: Normalizer | null;
  private readonly byteFallback: boolean;
  private readonly unknownSurface: Uint8Array;
  private readonly stripLeadingSpaceOnDecode: boolean;
  private readonly stripAllLeadingSpacesOnDecode: boolean;

  // Buffers reused across calls: no method calls back into user code, so a call never overlaps another.
  private readonly inputBuffer = new ByteBuffer(1024);
  private readonly normalizedBuffer = new ByteBuffer(1024);
  private readonly decodeBuffer = new ByteBuffer(1024);
  private readonly denormalizedBuffer = new ByteBuffer(256);
  private readonly segments = new Segments();

  /** Loads a serialized `ModelProto` (the bytes of a `.spm` / `tokenizer.model` file). */
  constructor(modelBytes: Uint8Array) {
    if (!(modelBytes instanceof Uint8Array)) {
      argumentError('SentencePieceProcessor', 'modelBytes', 'a Uint8Array with a serialized SentencePiece ModelProto', typeof modelBytes);
    }
    const proto = parseModelProto(modelBytes);
    this.modelProto = proto;
    const trainer = proto.trainerSpec;
    this.byteFallback = trainer.byteFallback;
    this.vocabulary = new Vocabulary(proto.pieces, trainer.byteFallback);
    switch (trainer.modelType) {
      case ModelType.bpe:
        this.model = new BpeModel(this.vocabulary);
        break;
      case ModelType.word:
        this.model = new WordModel(this.vocabulary);
        break;
      case ModelType.char:
        this.model = new CharModel(this.vocabulary);
        break;
      default:
        this.model = new UnigramModel(this.vocabulary);
    }
    this.normalizer = new Normalizer(proto.normalizerSpec, trainer.treatWhitespaceAsSuffix, this.vocabulary.userDefinedTrie);
    const denormalizerSpec = proto.denormalizerSpec;
    this.denormalizer =
      denormalizerSpec !== null && denormalizerSpec.precompiledCharsmap.length > 0
        ? new Normalizer(denormalizerSpec, false, null, 'denormalizer_spec')
        : null;
    this.unknownSurface = stringToUtf8(trainer.hasUnkSurface ? trainer.unkSurface : DEFAULT_UNKNOWN_SURFACE);
    const normalizerSpec = proto.normalizerSpec;
    this.stripLeadingSpaceOnDecode = normalizerSpec.addDummyPrefix || normalizerSpec.removeExtraWhitespaces;
    this.stripAllLeadingSpacesOnDecode = normalizerSpec.removeExtraWhitespaces;
  }

  get vocabularySize(): number {
    return this.vocabulary.size;
  }

  /** The piece of `id`; throws for an id outside [0, vocabularySize). */
  idToPiece(id: number): string {
    this.checkId(id, 'id', 'idToPiece');
    return this.vocabulary.pieces[id]!;
  }

  /** The id of `piece`, or the `<unk>` id when the vocabulary does not have it (like the library). */
  pieceToId(piece: string): number {
    if (typeof piece !== 'string') argumentError('SentencePieceProcessor.pieceToId', 'piece', 'a string', typeof piece);
    return this.vocabulary.pieceToId(piece);
  }

  score(id: number): number {
    this.checkId(id, 'id', 'score');
    return this.vocabulary.scores[id]!;
  }

  isControl(id: number): boolean {
    return this.typeOf(id) === PieceType.control;
  }
  isUnknown(id: number): boolean {
    return this.typeOf(id) === PieceType.unknown;
  }
  isUnused(id: number): boolean {
    return this.typeOf(id) === PieceType.unused;
  }
  isByte(id: number): boolean {
    return this.typeOf(id) === PieceType.byte;
  }
  isUserDefined(id: number): boolean {
    return this.typeOf(id) === PieceType.userDefined;
  }

  get unknownId(): number {
    return this.vocabulary.unknownId;
  }
  /** Id of the trainer spec's `bos_piece` when it is a control piece, else -1 (as the library). */
  get bosId(): number {
    return this.controlIdOf(this.modelProto.trainerSpec.bosPiece || '<s>');
  }
  get eosId(): number {
    return this.controlIdOf(this.modelProto.trainerSpec.eosPiece || '</s>');
  }
  get padId(): number {
    return this.controlIdOf(this.modelProto.trainerSpec.padPiece || '<pad>');
  }

  private controlIdOf(piece: string): number {
    const id = this.vocabulary.pieceToId(piece);
    return this.vocabulary.types[id] === PieceType.control ? id : -1;
  }

  private typeOf(id: number): number {
    this.checkId(id, 'id', 'piece type query');
    return this.vocabulary.types[id]!;
  }

  private checkId(id: number, argument: string, operation: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabulary.size) {
      argumentError(`SentencePieceProcessor.${operation}`, argument, `an integer id in [0, ${this.vocabulary.size - 1}]`, id);
    }
  }

  /** Normalizes and segments `text`; the result is left in `this.segments` over `this.normalizedBuffer`. */
  private segment(text: TextInput, operation: string): void {
    let input: Uint8Array;
    let length: number;
    if (typeof text === 'string') {
      encodeStringInto(text, this.inputBuffer);
      input = this.inputBuffer.bytes;
      length = this.inputBuffer.length;
    } else if (text instanceof Uint8Array) {
      input = text;
      length = text.length;
    } else {
      return argumentError(`SentencePieceProcessor.${operation}`, 'text', 'a string or a Uint8Array of UTF-8', describeValue(text));
    }
    this.normalizer.normalize(input, length, this.normalizedBuffer);
    this.model.encode(this.normalizedBuffer.bytes, this.normalizedBuffer.length, this.segments);
    // WORD and CHAR models look whole words/characters up with PieceToId, which can answer a
    // CONTROL piece (for example the text "<s>" in a word model). The library does not count the
    // text of a control piece as consumed, so its consistency check fails and encoding returns
    // an error status (the Python binding raises); we raise a clear error too.
    const types = this.vocabulary.types;
    for (let index = 0; index < this.segments.length; index++) {
      const id = this.segments.ids[index]!;
      if (types[id] === PieceType.control) {
        const surface = utf8ToString(this.normalizedBuffer.bytes.subarray(this.segments.starts[index]!, this.segments.ends[index]!));
        throw new TensorzooError(
          `SentencePieceProcessor.${operation}: the text segment ${JSON.stringify(surface)} is the control piece ` +
            `${JSON.stringify(this.vocabulary.pieces[id])} (id ${id}); the SentencePiece library cannot encode such text either ` +
            `(it fails with "all normalized characters are not consumed")`,
        );
      }
    }
  }

  /** Token ids of `text`, identical to the library's `EncodeAsIds`. No BOS/EOS are added. */
  encode(text: TextInput): number[] {
    this.segment(text, 'encode');
    const segments = this.segments;
    const types = this.vocabulary.types;
    const ids: number[] = [];
    let previousWasUnknown = false;
    for (let index = 0; index < segments.length; index++) {
      const id = segments.ids[index]!;
      const isUnknown = types[id] === PieceType.unknown;
      if (isUnknown && this.byteFallback) {
        const bytes = this.normalizedBuffer.bytes;
        for (let position = segments.starts[index]!; position < segments.ends[index]!; position++) {
          ids.push(this.vocabulary.byteIds[bytes[position]!]!);
        }
      } else if (!(isUnknown && previousWasUnknown)) {
        ids.push(id);
      }
      previousWasUnknown = isUnknown;
    }
    this.releaseLargeBuffers();
    return ids;
  }

  /** Pieces of `text`, identical to the library's `EncodeAsPieces`. */
  encodeAsPieces(text: TextInput): string[] {
    this.segment(text, 'encodeAsPieces');
    const segments = this.segments;
    const types = this.vocabulary.types;
    const bytes = this.normalizedBuffer.bytes;
    const pieces: string[] = [];
    let previousWasUnknown = false;
    for (let index = 0; index < segments.length; index++) {
      const id = segments.ids[index]!;
      const start = segments.starts[index]!;
      const end = segments.ends[index]!;
      const isUnknown = types[id] === PieceType.unknown;
      if (isUnknown && this.byteFallback) {
        for (let position = start; position < end; position++) pieces.push(byteToPiece(bytes[position]!));
      } else if (isUnknown) {
        const surface = utf8ToString(bytes.subarray(start, end));
        if (previousWasUnknown) pieces[pieces.length - 1] += surface;
        else pieces.push(surface);
      } else {
        pieces.push(this.vocabulary.pieces[id]!);
      }
      previousWasUnknown = isUnknown;
    }
    this.releaseLargeBuffers();
    return pieces;
  }

  /** Text of `ids`, identical to the library's `DecodeIds`; throws for an id out of range. */
  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
      argumentError('SentencePieceProcessor.decode', 'ids', 'an array of integer token ids', describeValue(ids));
    }
    const vocabulary = this.vocabulary;
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocabulary.size) {
        argumentError(
          'SentencePieceProcessor.decode',
          `ids[${index}]`,
          `an integer token id in [0, ${vocabulary.size - 1}] (the vocabulary has ${vocabulary.size} pieces)`,
          id,
        );
      }
    }
    const text = this.decodeBuffer;
    text.clear();
    let byteRunStart = -1; // index in `ids` where the current run of byte pieces started
    let expectLeadingSpace = true; // the library's `is_bos_ws`
    let leadingSpaceSeen = false; // the library's `bos_ws_seen`
    for (let index = 0; index < ids.length; index++) {
      const id = vocabulary.canonicalIds[ids[index]!]!;
      const type = vocabulary.types[id]!;
      if (type === PieceType.byte) {
        if (byteRunStart < 0) byteRunStart = index;
        continue;
      }
      if (byteRunStart >= 0) {
        this.appendByteRun(ids, byteRunStart, index, text);
        byteRunStart = -1;
      }
      if (leadingSpaceSeen || text.length > 0) expectLeadingSpace = false;
      leadingSpaceSeen = this.appendPiece(ids[index]!, id, type, expectLeadingSpace, text);
    }
    if (byteRunStart >= 0) this.appendByteRun(ids, byteRunStart, ids.length, text);

    let decoded: string;
    if (this.denormalizer !== null) {
      this.denormalizer.normalize(text.bytes, text.length, this.denormalizedBuffer);
      decoded = utf8ToString(this.denormalizedBuffer.view());
    } else {
      decoded = utf8ToString(text.view());
    }
    this.releaseLargeBuffers();
    return decoded;
  }

  /** Keeps the reused buffers from holding on to the memory of an exceptionally long input. */
  private releaseLargeBuffers(): void {
    this.inputBuffer.releaseIfLargerThan(RETAINED_BUFFER_LIMIT);
    this.normalizedBuffer.releaseIfLargerThan(RETAINED_BUFFER_LIMIT);
    this.decodeBuffer.releaseIfLargerThan(RETAINED_BUFFER_LIMIT);
    this.denormalizedBuffer.releaseIfLargerThan(RETAINED_BUFFER_LIMIT);
    this.segments.releaseIfLargerThan(RETAINED_BUFFER_LIMIT);
  }

  /** `DecodeSentencePiece`: appends one non-byte piece; returns whether it consumed a leading U+2581. */
  private appendPiece(originalId: number, id: number, type: number, expectLeadingSpace: boolean, text: ByteBuffer): boolean {
    if (type === PieceType.control) return false;
    const piece = this.vocabulary.pieceBytes[originalId]!;
    if (type === PieceType.unknown) {
      // The piece always equals IdToPiece(id) here, since it came from an id.
      text.append(this.unknownSurface);
      return false;
    }
    let start = 0;
    let consumedLeadingSpace = false;
    if (expectLeadingSpace && this.stripLeadingSpaceOnDecode && startsWithSpaceSymbol(piece, 0)) {
      start = 3;
      consumedLeadingSpace = !this.stripAllLeadingSpacesOnDecode;
    }
    text.reserve(piece.length);
    for (let index = start; index < piece.length; ) {
      if (startsWithSpaceSymbol(piece, index)) {
        text.bytes[text.length++] = 0x20;
        index += 3;
      } else {
        text.bytes[text.length++] = piece[index++]!;
      }
    }
    return consumedLeadingSpace;
  }

  /** Appends the bytes of byte pieces ids[from, to) as UTF-8, one U+FFFD per malformed byte. */
  private appendByteRun(ids: ArrayLike<number>, from: number, to: number, text: ByteBuffer): void {
    const count = to - from;
    const run = new Uint8Array(count);
    for (let index = 0; index < count; index++) {
      run[index] = this.vocabulary.byteValues[this.vocabulary.canonicalIds[ids[from + index]!]!]!;
    }
    let offset = 0;
    while (offset < count) {
      const length = validCharacterLength(run, offset, count);
      if (length === 0) {
        text.append(REPLACEMENT_CHARACTER);
        offset += 1;
      } else {
        text.append(run, offset, offset + length);
        offset += length;
      }
    }
  }

  /** Convenience: `new SentencePieceProcessor(bytes)`, for symmetry with other loaders. */
  static fromBytes(modelBytes: Uint8Array): SentencePieceProcessor {
    return new SentencePieceProcessor(modelBytes);
  }
}

function startsWithSpaceSymbol(bytes: Uint8Array, index: number): boolean {
  return bytes[index] === SPACE_SYMBOL[0] && bytes[index + 1] === SPACE_SYMBOL[1] && bytes[index + 2] === SPACE_SYMBOL[2];
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : `${typeof value} ${String(value)}`;
}

