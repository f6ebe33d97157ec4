// The piece inventory of a SentencePiece model, with the lookups and the load-time checks of the
// library's `ModelInterface::InitializePieces`:
// - NORMAL, USER_DEFINED and UNUSED pieces form the "pieces" map that segmentation matches
//   against; UNKNOWN, CONTROL and BYTE pieces form the separate "reserved" map. `PieceToId`
//   consults the reserved map first, then the pieces map, then answers the `<unk>` id.
// - Pieces must be non-empty and unique within their map; exactly one UNKNOWN piece; BYTE pieces
//   only with `byte_fallback`, and then all 256 of them (`<0x00>` ... `<0xFF>`).

import { TensorzooError } from '@tensorzoo/core';
import { PieceType, type SentencePieceEntry } from './model-proto.js';
import { PieceTrie, type TrieEntry } from './piece-trie.js';

/** `ByteToPiece`: the piece that stands for one raw byte, e.g. `<0x0A>`. */
export function byteToPiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

const bytePiecePattern = /^<0x([0-9A-F]{2})>$/;

/** `PieceToByte`: the byte a piece like `<0x0A>` stands for, or -1 (upper-case hex only). */
export function pieceToByte(piece: string): number {
  const match = bytePiecePattern.exec(piece);
  return match === null ? -1 : Number.parseInt(match[1]!, 16);
}

function invalidModel(detail: string): never {
  throw new TensorzooError(`SentencePiece model is invalid: ${detail}`);
}

export class Vocabulary {
  readonly size: number;
  readonly pieces: readonly string[];
  readonly pieceBytes: readonly Uint8Array[];
  /** Piece type per id (PieceType values). */
  readonly types: Uint8Array;
  /** Scores as float32, like the proto stores them. */
  readonly scores: Float32Array;
  /** NORMAL, USER_DEFINED and UNUSED pieces (the library's `pieces_`). */
  readonly pieceTrie: PieceTrie;
  /** UNKNOWN, CONTROL and BYTE pieces (the library's `reserved_id_map_`). */
  readonly reservedTrie: PieceTrie;
  /** USER_DEFINED pieces, matched greedily (longest) before normalization and segmentation. */
  readonly userDefinedTrie: PieceTrie | null;
  readonly unknownId: number;
  /** Id of `<0xXX>` for each byte (-1 without byte fallback). */
  readonly byteIds: Int32Array;
  /** For a BYTE piece id, its byte; otherwise -1. */
  readonly byteValues: Int16Array;
  /** `PieceToId(IdToPiece(id))`: differs from `id` only when a reserved piece shadows a normal one. */
  readonly canonicalIds: Int32Array;

  constructor(entries: readonly SentencePieceEntry[], byteFallback: boolean) {
    const size = entries.length;
    if (size === 0) invalidModel('expected at least one piece, received a model with no pieces');
    this.size = size;
    this.pieces = entries.map((entry) => entry.piece);
    this.pieceBytes = entries.map((entry) => entry.pieceBytes);
    this.types = new Uint8Array(size);
    this.scores = new Float32Array(size);
    this.byteValues = new Int16Array(size).fill(-1);
    this.byteIds = new Int32Array(256).fill(-1);

    const normalEntries: TrieEntry[] = [];
    const reservedEntries: TrieEntry[] = [];
    const userDefinedEntries: TrieEntry[] = [];
    let unknownId = -1;
    for (let id = 0; id < size; id++) {
      const entry = entries[id]!;
      this.types[id] = entry.type;
      this.scores[id] = entry.score;
      if (entry.pieceBytes.length === 0) invalidModel(`piece ${id} is empty (pieces must not be empty)`);
      const isNormal = entry.type === PieceType.normal || entry.type === PieceType.userDefined || entry.type === PieceType.unused;
      (isNormal ? normalEntries : reservedEntries).push({ bytes: entry.pieceBytes, value: id });
      if (entry.type === PieceType.userDefined) userDefinedEntries.push({ bytes: entry.pieceBytes, value: id });
      if (entry.type === PieceType.unknown) {
        if (unknownId >= 0) invalidModel(`unk is already defined (ids ${unknownId} and ${id} are both UNKNOWN)`);
        unknownId = id;
      }
      if (entry.type === PieceType.byte) {
        if (!byteFallback) {
          invalidModel(`byte piece ${JSON.stringify(entry.piece)} (id ${id}) is found although trainer_spec.byte_fallback is false`);
        }
        const byte = pieceToByte(entry.piece);
        if (byte < 0) invalidModel(`byte piece ${JSON.stringify(entry.piece)} (id ${id}) is invalid; expected <0x00> ... <0xFF>`);
        this.byteValues[id] = byte;
      }
    }
    if (unknownId < 0) invalidModel('unk is not defined (expected one piece of type UNKNOWN)');
    this.unknownId = unknownId;

    // A piece must be unique within its map; the library reports the first repeat in id order.
    let firstDuplicate = -1;
    const noteDuplicate = (_kept: number, duplicate: number) => {
      if (firstDuplicate < 0 || duplicate < firstDuplicate) firstDuplicate = duplicate;
    };
    this.pieceTrie = PieceTrie.build(normalEntries, noteDuplicate);
    this.reservedTrie = PieceTrie.build(reservedEntries, noteDuplicate);
    if (firstDuplicate >= 0) {
      invalidModel(`piece ${JSON.stringify(this.pieces[firstDuplicate])} (id ${firstDuplicate}) is already defined`);
    }
    this.userDefinedTrie = userDefinedEntries.length > 0 ? PieceTrie.build(userDefinedEntries) : null;

    if (byteFallback) {
      for (let byte = 0; byte < 256; byte++) {
        const id = this.pieceToId(byteToPiece(byte));
        if (this.types[id] !== PieceType.byte) {
          invalidModel(`there are not 256 byte pieces although trainer_spec.byte_fallback is true (${byteToPiece(byte)} is missing)`);
        }
        this.byteIds[byte] = id;
      }
    }

    // PieceToId(IdToPiece(id)): a piece is unique within its own map, so only a reserved piece
    // with the same text as a normal piece can answer something else.
    this.canonicalIds = new Int32Array(size);
    for (let id = 0; id < size; id++) {
      const bytes = this.pieceBytes[id]!;
      const type = this.types[id];
      const isNormal = type === PieceType.normal || type === PieceType.userDefined || type === PieceType.unused;
      const reserved = isNormal ? this.reservedTrie.exactMatch(bytes, 0, bytes.length) : -1;
      this.canonicalIds[id] = reserved >= 0 ? reserved : id;
    }
  }

  /** `PieceToId` over raw bytes: the reserved map first, then the pieces map, then `<unk>`. */
  idOfBytes(bytes: Uint8Array, start: number, end: number): number {
    const reserved = this.reservedTrie.exactMatch(bytes, start, end);
    if (reserved >= 0) return reserved;
    const normal = this.pieceTrie.exactMatch(bytes, start, end);
    return normal >= 0 ? normal : this.unknownId;
  }

  pieceToId(piece: string): number {
    const bytes = new TextEncoder().encode(piece);
    return this.idOfBytes(bytes, 0, bytes.length);
  }
}

/**
 * A segmentation result: the pieces as [start, end) ranges of the normalized text, with their
 * ids. Grown on demand and reused across calls.
 */
export class Segments {
  starts: Int32Array = new Int32Array(256);
  ends: Int32Array = new Int32Array(256);
  ids: Int32Array = new Int32Array(256);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  /** Drops the storage when it has grown past `limit` entries (after an exceptionally long input). */
  releaseIfLargerThan(limit: number): void {
    if (this.starts.length > limit) {
      this.starts = new Int32Array(256);
      this.ends = new Int32Array(256);
      this.ids = new Int32Array(256);
      this.length = 0;
    }
  }

  push(start: number, end: number, id: number): void {
    if (this.length === this.starts.length) {
      const capacity = this.length * 2;
      this.starts = copyInto(this.starts, capacity);
      this.ends = copyInto(this.ends, capacity);
      this.ids = copyInto(this.ids, capacity);
    }
    this.starts[this.length] = start;
    this.ends[this.length] = end;
    this.ids[this.length] = id;
    this.length++;
  }
}

function copyInto(source: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(source);
  return grown;
}

/** What every segmentation model (BPE, unigram, word, char) provides. */
export interface SegmentationModel {
  /** Segments `text[0, length)` (already normalized) into `output` (cleared first). */
  encode(text: Uint8Array, length: number, output: Segments): void;
}
