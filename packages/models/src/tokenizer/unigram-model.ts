// Unigram segmentation: the best-scoring path through the lattice of all vocabulary pieces that
// occur in the normalized text (Viterbi), computed like the library's `unigram::Model::
// EncodeOptimized`, which keeps only the best path ending at each byte position.
//
// - For each start position (advancing one character by its UTF-8 lead byte) every piece that is
//   a prefix of the remaining text is a candidate edge; UNUSED pieces are skipped.
// - A USER_DEFINED piece scores `length_in_bytes * max_score - 0.1` (max_score: the highest
//   NORMAL score, or FLT_MIN when every score is negative), so it always wins.
// - If no piece covers exactly the first character, an `<unk>` edge of that character is added
//   with score `min_score - 10`.
// - A later candidate replaces the stored best only when strictly better, so ties keep the
//   earliest start.
//
// Arithmetic follows the C++ types exactly: path scores are stored as float32; a piece score is
// added to the stored path score in double precision (the C++ expression is a double because of
// the user-defined branch), while the `<unk>` edge is computed entirely in float32.

import { PieceType } from './model-proto.js';
import { ROOT_NODE } from './piece-trie.js';
import { leadByteLength } from './utf8.js';
import type { SegmentationModel, Segments, Vocabulary } from './vocabulary.js';

/** `kUnkPenalty` of the library. */
const UNKNOWN_PENALTY = 10;
/** FLT_MIN / FLT_MAX, the library's initial values for max_score / min_score. */
const FLOAT32_MIN_POSITIVE = 1.1754943508222875e-38;
const FLOAT32_MAX = 3.4028234663852886e38;
/** Scratch arrays longer than this (in elements) are dropped after a call instead of kept. */
const RETAINED_CAPACITY_LIMIT = 1 << 20;

export class UnigramModel implements SegmentationModel {
  private readonly minimumScore: number;
  private readonly maximumScore: number;
  private readonly unknownScore: number;
  /** Per trie node: 0 no piece (or UNUSED), 1 a scored piece, 2 a user-defined piece. */
  private readonly nodeKinds: Uint8Array;
  /** Per trie node: the piece score (float32 value) and id. */
  private readonly nodeScores: Float64Array;
  private readonly nodeIds: Int32Array;
  private bestScores = new Float32Array(0);
  private bestStarts = new Int32Array(0);
  private bestIds = new Int32Array(0);

  constructor(private readonly vocabulary: Vocabulary) {
    let minimum = FLOAT32_MAX;
    let maximum = FLOAT32_MIN_POSITIVE;
    for (let id = 0; id < vocabulary.size; id++) {
      if (vocabulary.types[id] !== PieceType.normal) continue;
      minimum = Math.min(minimum, vocabulary.scores[id]!);
      maximum = Math.max(maximum, vocabulary.scores[id]!);
    }
    this.minimumScore = minimum;
    this.maximumScore = maximum;
    this.unknownScore = Math.fround(minimum - UNKNOWN_PENALTY);

    const values = vocabulary.pieceTrie.values;
    this.nodeKinds = new Uint8Array(values.length);
    this.nodeScores = new Float64Array(values.length);
    this.nodeIds = new Int32Array(values.length).fill(-1);
    for (let node = 0; node < values.length; node++) {
      const id = values[node]!;
      if (id < 0 || vocabulary.types[id] === PieceType.unused) continue;
      this.nodeKinds[node] = vocabulary.types[id] === PieceType.userDefined ? 2 : 1;
      this.nodeScores[node] = vocabulary.scores[id]!;
      this.nodeIds[node] = id;
    }
  }

  encode(text: Uint8Array, length: number, output: Segments): void {
    output.clear();
    if (length === 0) return;
    if (this.bestScores.length < length + 1) {
      const capacity = Math.max(length + 1, this.bestScores.length * 2);
      this.bestScores = new Float32Array(capacity);
      this.bestStarts = new Int32Array(capacity);
      this.bestIds = new Int32Array(capacity);
    }
    const bestScores = this.bestScores;
    const bestStarts = this.bestStarts;
    const bestIds = this.bestIds;
    bestScores.fill(0, 0, length + 1);
    bestStarts.fill(-1, 0, length + 1);
    bestIds.fill(-1, 0, length + 1);

    const trie = this.vocabulary.pieceTrie;
    const base = trie.base;
    const check = trie.check;
    const trieSize = check.length;
    const nodeKinds = this.nodeKinds;
    const nodeScores = this.nodeScores;
    const nodeIds = this.nodeIds;
    const maximumScore = this.maximumScore;
    const unknownScore = this.unknownScore;
    const unknownId = this.vocabulary.unknownId;

    let start = 0;
    while (start < length) {
      const scoreUntilHere = bestScores[start]!;
      const characterLength = Math.min(leadByteLength(text[start]!), length - start);
      let hasSingleCharacterPiece = false;
      let node = ROOT_NODE;
      for (let end = start + 1; end <= length; end++) {
        const next = base[node]! + text[end - 1]!;
        if (next >= trieSize || check[next] !== node) break;
        node = next;
        const kind = nodeKinds[node]!;
        if (kind === 0) continue;
        const pieceLength = end - start;
        const score = kind === 2 ? Math.fround(pieceLength * maximumScore) - 0.1 : nodeScores[node]!;
        const candidate = score + scoreUntilHere;
        if (bestStarts[end] === -1 || candidate > bestScores[end]!) {
          bestScores[end] = candidate; // rounds to float32 like the C++ assignment
          bestStarts[end] = start;
          bestIds[end] = nodeIds[node]!;
        }
        if (pieceLength === characterLength) hasSingleCharacterPiece = true;
      }
      if (!hasSingleCharacterPiece) {
        const end = start + characterLength;
        const candidate = Math.fround(unknownScore + scoreUntilHere);
        if (bestStarts[end] === -1 || candidate > bestScores[end]!) {
          bestScores[end] = candidate;
          bestStarts[end] = start;
          bestIds[end] = unknownId;
        }
      }
      start += characterLength;
    }

    // Backtrack from the end, then reverse into `output`.
    let count = 0;
    for (let end = length; end > 0; end = bestStarts[end]!) count++;
    output.length = 0;
    for (let index = 0; index < count; index++) output.push(0, 0, 0);
    let slot = count - 1;
    for (let end = length; end > 0; end = bestStarts[end]!) {
      output.starts[slot] = bestStarts[end]!;
      output.ends[slot] = end;
      output.ids[slot] = bestIds[end]!;
      slot--;
    }
    if (this.bestScores.length > RETAINED_CAPACITY_LIMIT) {
      // Keep scratch memory bounded after an exceptionally long input.
      this.bestScores = new Float32Array(0);
      this.bestStarts = this.bestIds = new Int32Array(0);
    }
  }

  /** The lowest NORMAL score (exposed for tests and diagnostics). */
  get lowestScore(): number {
    return this.minimumScore;
  }
}
