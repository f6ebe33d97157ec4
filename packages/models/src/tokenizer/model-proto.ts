// SentencePiece `ModelProto` (`sentencepiece_model.proto`, proto2) read from a `.spm` /
// `tokenizer.model` file. Field numbers and defaults follow that schema. Only the fields that
// encoding and decoding depend on, plus the commonly inspected trainer settings, are decoded;
// everything else (training-only options, extensions) is skipped like any unknown field.
//
// proto2 semantics reproduced here because the C++ library relies on them:
// - an unset field reads as its declared default (for example `add_dummy_prefix = true`);
// - an enum value that the schema does not declare is kept as an unknown field, so the enum
//   field keeps its default (an unknown piece type reads as NORMAL, an unknown model type as
//   UNIGRAM);
// - a field with an unexpected wire type is also treated as unknown and skipped;
// - `has_unk_surface` matters to the decoder, so its presence is recorded.

import { ProtobufReader, WireType, type FieldKey } from './protobuf-reader.js';
import { shortUtf8ToString } from './utf8.js';

export const PieceType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;
export type PieceTypeValue = (typeof PieceType)[keyof typeof PieceType];

export const ModelType = { unigram: 1, bpe: 2, word: 3, char: 4 } as const;
export type ModelTypeValue = (typeof ModelType)[keyof typeof ModelType];

export interface SentencePieceEntry {
  /** The piece as text (malformed UTF-8 in the file would read as U+FFFD here). */
  piece: string;
  /** The piece's exact bytes as stored in the proto; matching uses these. */
  pieceBytes: Uint8Array;
  score: number;
  type: PieceTypeValue;
}

export interface TrainerSpec {
  modelType: ModelTypeValue;
  vocabSize: number;
  splitByUnicodeScript: boolean;
  splitByNumber: boolean;
  splitByWhitespace: boolean;
  splitDigits: boolean;
  treatWhitespaceAsSuffix: boolean;
  allowWhitespaceOnlyPieces: boolean;
  maxSentencepieceLength: number;
  byteFallback: boolean;
  controlSymbols: string[];
  userDefinedSymbols: string[];
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
  /** Whether `unk_surface` was present in the file (the decoder only uses it then). */
  hasUnkSurface: boolean;
}

export interface NormalizerSpec {
  name: string;
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  normalizationRuleTsv: string;
}

export interface SentencePieceModelProto {
  pieces: SentencePieceEntry[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  /** Present only when the file has one. */
  denormalizerSpec: NormalizerSpec | null;
}

const knownPieceTypes = new Set<number>(Object.values(PieceType));
const knownModelTypes = new Set<number>(Object.values(ModelType));

export function defaultTrainerSpec(): TrainerSpec {
  return {
    modelType: ModelType.unigram,
    vocabSize: 8000,
    splitByUnicodeScript: true,
    splitByNumber: true,
    splitByWhitespace: true,
    splitDigits: false,
    treatWhitespaceAsSuffix: false,
    allowWhitespaceOnlyPieces: false,
    maxSentencepieceLength: 16,
    byteFallback: false,
    controlSymbols: [],
    userDefinedSymbols: [],
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    unkPiece: '<unk>',
    bosPiece: '<s>',
    eosPiece: '</s>',
    padPiece: '<pad>',
    unkSurface: ' \u2047 ',
    hasUnkSurface: false,
  };
}

export function defaultNormalizerSpec(): NormalizerSpec {
  return {
    name: '',
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
    normalizationRuleTsv: '',
  };
}

function expectWireType(reader: ProtobufReader, key: FieldKey, wireType: number): boolean {
  if (key.wireType === wireType) return true;
  reader.skipField(key);
  return false;
}

function readPiece(reader: ProtobufReader): SentencePieceEntry {
  let pieceBytes: Uint8Array = new Uint8Array(0);
  let score = 0;
  let type: PieceTypeValue = PieceType.normal;
  while (reader.hasMore()) {
    const key = reader.readKey();
    if (key.fieldNumber === 1 && expectWireType(reader, key, WireType.lengthDelimited)) {
      pieceBytes = reader.readBytes();
    } else if (key.fieldNumber === 2 && expectWireType(reader, key, WireType.fixed32)) {
      score = reader.readFloat();
    } else if (key.fieldNumber === 3 && expectWireType(reader, key, WireType.varint)) {
      const value = reader.readInt32();
      if (knownPieceTypes.has(value)) type = value as PieceTypeValue;
    } else if (key.fieldNumber > 3) {
      reader.skipField(key);
    }
  }
  return { piece: shortUtf8ToString(pieceBytes), pieceBytes, score, type };
}

/** Reads into `spec`: a repeated occurrence of a singular message merges into the earlier one. */
function readTrainerSpec(reader: ProtobufReader, spec: TrainerSpec): TrainerSpec {
  while (reader.hasMore()) {
    const key = reader.readKey();
    const number = key.fieldNumber;
    const isVarint = key.wireType === WireType.varint;
    const isBytes = key.wireType === WireType.lengthDelimited;
    if (number === 3 && isVarint) {
      const value = reader.readInt32();
      if (knownModelTypes.has(value)) spec.modelType = value as ModelTypeValue;
    } else if (number === 4 && isVarint) spec.vocabSize = reader.readInt32();
    else if (number === 20 && isVarint) spec.maxSentencepieceLength = reader.readInt32();
    else if (number === 21 && isVarint) spec.splitByUnicodeScript = reader.readBool();
    else if (number === 22 && isVarint) spec.splitByWhitespace = reader.readBool();
    else if (number === 23 && isVarint) spec.splitByNumber = reader.readBool();
    else if (number === 24 && isVarint) spec.treatWhitespaceAsSuffix = reader.readBool();
    else if (number === 25 && isVarint) spec.splitDigits = reader.readBool();
    else if (number === 26 && isVarint) spec.allowWhitespaceOnlyPieces = reader.readBool();
    else if (number === 30 && isBytes) spec.controlSymbols.push(reader.readString());
    else if (number === 31 && isBytes) spec.userDefinedSymbols.push(reader.readString());
    else if (number === 35 && isVarint) spec.byteFallback = reader.readBool();
    else if (number === 40 && isVarint) spec.unkId = reader.readInt32();
    else if (number === 41 && isVarint) spec.bosId = reader.readInt32();
    else if (number === 42 && isVarint) spec.eosId = reader.readInt32();
    else if (number === 43 && isVarint) spec.padId = reader.readInt32();
    else if (number === 44 && isBytes) {
      spec.unkSurface = reader.readString();
      spec.hasUnkSurface = true;
    } else if (number === 45 && isBytes) spec.unkPiece = reader.readString();
    else if (number === 46 && isBytes) spec.bosPiece = reader.readString();
    else if (number === 47 && isBytes) spec.eosPiece = reader.readString();
    else if (number === 48 && isBytes) spec.padPiece = reader.readString();
    else reader.skipField(key);
  }
  return spec;
}

function readNormalizerSpec(reader: ProtobufReader, spec: NormalizerSpec): NormalizerSpec {
  while (reader.hasMore()) {
    const key = reader.readKey();
    const number = key.fieldNumber;
    const isVarint = key.wireType === WireType.varint;
    const isBytes = key.wireType === WireType.lengthDelimited;
    if (number === 1 && isBytes) spec.name = reader.readString();
    else if (number === 2 && isBytes) spec.precompiledCharsmap = reader.readBytes();
    else if (number === 3 && isVarint) spec.addDummyPrefix = reader.readBool();
    else if (number === 4 && isVarint) spec.removeExtraWhitespaces = reader.readBool();
    else if (number === 5 && isVarint) spec.escapeWhitespaces = reader.readBool();
    else if (number === 6 && isBytes) spec.normalizationRuleTsv = reader.readString();
    else reader.skipField(key);
  }
  return spec;
}

/**
 * Parses a serialized SentencePiece `ModelProto`. Throws a `TensorzooError` naming the message,
 * the byte offset and what was expected when the data is truncated or is not a protobuf.
 * Semantic checks (an `<unk>` piece, byte pieces, ...) are done by `SentencePieceProcessor`.
 */
export function parseModelProto(bytes: Uint8Array): SentencePieceModelProto {
  const reader = new ProtobufReader(bytes, 0, bytes.length, 'ModelProto');
  const pieces: SentencePieceEntry[] = [];
  let trainerSpec = defaultTrainerSpec();
  let normalizerSpec = defaultNormalizerSpec();
  let denormalizerSpec: NormalizerSpec | null = null;
  while (reader.hasMore()) {
    const key = reader.readKey();
    const isMessage = key.wireType === WireType.lengthDelimited;
    if (key.fieldNumber === 1 && isMessage) {
      pieces.push(readPiece(reader.readMessage(`ModelProto.pieces[${pieces.length}]`)));
    } else if (key.fieldNumber === 2 && isMessage) {
      trainerSpec = readTrainerSpec(reader.readMessage('ModelProto.trainer_spec'), trainerSpec);
    } else if (key.fieldNumber === 3 && isMessage) {
      normalizerSpec = readNormalizerSpec(reader.readMessage('ModelProto.normalizer_spec'), normalizerSpec);
    } else if (key.fieldNumber === 5 && isMessage) {
      denormalizerSpec = readNormalizerSpec(
        reader.readMessage('ModelProto.denormalizer_spec'),
        denormalizerSpec ?? defaultNormalizerSpec(),
      );
    } else {
      reader.skipField(key);
    }
  }
  return { pieces, trainerSpec, normalizerSpec, denormalizerSpec };
}
