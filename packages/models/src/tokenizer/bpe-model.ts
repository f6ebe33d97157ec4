// BPE segmentation with the same merge order as the SentencePiece library (`bpe::Model`):
//
// - The normalized text is split into initial symbols: a user-defined piece (longest match; such
//   symbols are frozen and never merge) or one character by its UTF-8 lead byte.
// - Every adjacent pair whose concatenation is a piece (NORMAL, USER_DEFINED or UNUSED) goes into
//   a priority queue keyed by the piece's score: the highest score merges first, and among equal
//   scores the pair further to the left. Entries made stale by an earlier merge are skipped.
// - After a merge, the pairs with the new symbol's neighbours are queued.
// - A final symbol whose piece is UNUSED is split back into the two symbols it was merged from,
//   recursively (the library's "resegment" with the last recorded split of that piece).
//
// Data layout: symbols live in typed arrays (start, end, previous, next, frozen, trie node), and
// queued pairs in another set of typed arrays ordered by a binary heap of pair indices, so a call
// allocates nothing once the buffers have grown to the input size. A pair's piece is found by
// walking the right symbol's bytes from the left symbol's trie node, never by building strings.

import { PieceType } from './model-proto.js';
import { NO_NODE, ROOT_NODE } from './piece-trie.js';
import { leadByteLength } from './utf8.js';
import type { SegmentationModel, Segments, Vocabulary } from './vocabulary.js';

/** Scratch arrays longer than this (in elements) are dropped after a call instead of kept. */
const RETAINED_CAPACITY_LIMIT = 1 << 20;

export class BpeModel implements SegmentationModel {
  // Symbols.
  private symbolStarts = new Int32Array(0);
  private symbolEnds = new Int32Array(0);
  private previous = new Int32Array(0);
  private next = new Int32Array(0);
  private frozen = new Uint8Array(0);
  /** Trie node reached by the symbol's bytes (NO_NODE when no piece starts with them). */
  private nodes = new Int32Array(0);

  // Queued pairs.
  private pairLefts = new Int32Array(0);
  private pairRights = new Int32Array(0);
  private pairScores = new Float64Array(0);
  private pairSizes = new Int32Array(0);
  private pairNodes = new Int32Array(0);
  /** Binary heap of pair indices, with each entry's key (score, left) copied alongside. */
  private heap = new Int32Array(0);
  private heapScores = new Float64Array(0);
  private heapLefts = new Int32Array(0);
  private heapSize = 0;
  private pairCount = 0;

  /** For UNUSED pieces: the last split seen, as [leftStart, leftEnd, rightStart, rightEnd]. */
  private reverseMerges = new Map<number, [number, number, number, number]>();
  private readonly hasUnusedPieces: boolean;
  /**
   * Characters (as packed UTF-8 keys) that some piece has immediately before a U+2581; null when
   * the text must be processed as one block (see `canSplitBefore`).
   */
  private readonly charactersBeforeSpaceSymbol: Set<number> | null;

  constructor(private readonly vocabulary: Vocabulary) {
    this.hasUnusedPieces = vocabulary.types.includes(PieceType.unused);
    this.charactersBeforeSpaceSymbol = this.hasUnusedPieces ? null : findCharactersBeforeSpaceSymbol(vocabulary);
  }

  /**
   * Whether no merge can ever join symbol `index - 1` with symbol `index`, so that the text on
   * either side can be merged independently with exactly the same result as one global queue:
   * the two sides never interact, and within each side the merge order (score, then position)
   * is unchanged. That holds next to a frozen user-defined symbol, and before a symbol starting
   * with U+2581 whose preceding character no piece ever has right before a U+2581 (a merge across
   * the boundary would create such a piece). Models with UNUSED pieces are never split, because
   * their re-segmentation depends on the global order of merges.
   */
  private canSplitBefore(text: Uint8Array, index: number): boolean {
    if (this.frozen[index - 1] === 1 || this.frozen[index] === 1) return true;
    const start = this.symbolStarts[index]!;
    if (text[start] !== 0xe2 || text[start + 1] !== 0x96 || text[start + 2] !== 0x81) return false;
    return !this.charactersBeforeSpaceSymbol!.has(characterKey(text, this.symbolStarts[index - 1]!, start));
  }

  private ensureCapacity(symbolCount: number): void {
    if (this.symbolStarts.length < symbolCount) {
      const capacity = Math.max(symbolCount, this.symbolStarts.length * 2, 64);
      this.symbolStarts = new Int32Array(capacity);
      this.symbolEnds = new Int32Array(capacity);
      this.previous = new Int32Array(capacity);
      this.next = new Int32Array(capacity);
      this.frozen = new Uint8Array(capacity);
      this.nodes = new Int32Array(capacity);
    }
  }

  /** Room for the pairs of a block of `symbolCount` symbols. */
  private ensurePairCapacity(symbolCount: number): void {
    // At most one pair per adjacent symbol pair, plus two per merge: 3n bounds the queue.
    const pairCapacity = 3 * symbolCount + 4;
    if (this.pairLefts.length < pairCapacity) {
      const capacity = Math.max(pairCapacity, this.pairLefts.length * 2);
      this.pairLefts = new Int32Array(capacity);
      this.pairRights = new Int32Array(capacity);
      this.pairScores = new Float64Array(capacity);
      this.pairSizes = new Int32Array(capacity);
      this.pairNodes = new Int32Array(capacity);
      this.heap = new Int32Array(capacity);
      this.heapScores = new Float64Array(capacity);
      this.heapLefts = new Int32Array(capacity);
    }
  }

  encode(text: Uint8Array, length: number, output: Segments): void {
    output.clear();
    if (length === 0) return;
    this.ensureCapacity(length);
    const trie = this.vocabulary.pieceTrie;
    const userDefined = this.vocabulary.userDefinedTrie;
    const starts = this.symbolStarts;
    const ends = this.symbolEnds;

    // Initial symbols.
    let symbolCount = 0;
    let position = 0;
    while (position < length) {
      let symbolLength = 0;
      let isFrozen = 0;
      if (userDefined !== null) {
        symbolLength = userDefined.longestPrefixLength(text, position, length);
        if (symbolLength > 0) isFrozen = 1;
      }
      if (symbolLength === 0) symbolLength = Math.min(leadByteLength(text[position]!), length - position);
      starts[symbolCount] = position;
      ends[symbolCount] = position + symbolLength;
      this.previous[symbolCount] = symbolCount - 1;
      this.next[symbolCount] = position + symbolLength < length ? symbolCount + 1 : -1;
      this.frozen[symbolCount] = isFrozen;
      this.nodes[symbolCount] = trie.walk(ROOT_NODE, text, position, position + symbolLength);
      position += symbolLength;
      symbolCount++;
    }

    if (this.hasUnusedPieces) this.reverseMerges.clear();
    // Merge block by block between boundaries no merge can cross (one block without such boundaries).
    const splittable = this.charactersBeforeSpaceSymbol !== null;
    let blockStart = 0;
    for (let index = 1; index <= symbolCount; index++) {
      if (index < symbolCount && !(splittable && this.canSplitBefore(text, index))) continue;
      this.heapSize = 0;
      this.pairCount = 0;
      this.ensurePairCapacity(index - blockStart);
      for (let symbol = blockStart + 1; symbol < index; symbol++) this.maybeQueuePair(text, symbol - 1, symbol);
      this.mergeQueuedPairs(text);
      blockStart = index;
    }

    const canonicalIds = this.vocabulary.canonicalIds;
    for (let index = 0; index !== -1; index = this.next[index]!) {
      const node = this.nodes[index]!;
      const pieceId = node === NO_NODE ? -1 : trie.valueAt(node);
      // The symbol's trie node already names its piece; canonicalIds applies PieceToId's rule
      // that a reserved piece with the same text wins.
      if (pieceId >= 0 && !this.hasUnusedPieces) output.push(starts[index]!, ends[index]!, canonicalIds[pieceId]!);
      else this.resegment(text, starts[index]!, ends[index]!, output);
    }
    this.releaseLargeBuffers();
  }

  /** Keeps scratch memory bounded after an exceptionally long input. */
  private releaseLargeBuffers(): void {
    if (this.symbolStarts.length > RETAINED_CAPACITY_LIMIT) {
      this.symbolStarts = this.symbolEnds = this.previous = this.next = this.nodes = new Int32Array(0);
      this.frozen = new Uint8Array(0);
    }
    if (this.pairLefts.length > RETAINED_CAPACITY_LIMIT) {
      this.pairLefts = this.pairRights = this.pairSizes = this.pairNodes = this.heap = this.heapLefts = new Int32Array(0);
      this.pairScores = this.heapScores = new Float64Array(0);
    }
  }

  /** Applies queued merges, best first, until the queue is empty. */
  private mergeQueuedPairs(text: Uint8Array): void {
    const starts = this.symbolStarts;
    const ends = this.symbolEnds;
    while (this.heapSize > 0) {
      const pair = this.popTop();
      const left = this.pairLefts[pair]!;
      const right = this.pairRights[pair]!;
      const leftLength = ends[left]! - starts[left]!;
      const rightLength = ends[right]! - starts[right]!;
      // Stale: one side was merged away or has grown since this pair was queued.
      if (leftLength === 0 || rightLength === 0 || leftLength + rightLength !== this.pairSizes[pair]) continue;

      ends[left] = ends[right]!;
      this.nodes[left] = this.pairNodes[pair]!;
      const afterRight = this.next[right]!;
      this.next[left] = afterRight;
      if (afterRight >= 0) this.previous[afterRight] = left;
      ends[right] = starts[right]!; // empty: merged away

      this.maybeQueuePair(text, this.previous[left]!, left);
      this.maybeQueuePair(text, left, afterRight);
    }
  }

  private maybeQueuePair(text: Uint8Array, left: number, right: number): void {
    if (left < 0 || right < 0 || this.frozen[left] === 1 || this.frozen[right] === 1) return;
    const leftNode = this.nodes[left]!;
    if (leftNode === NO_NODE) return;
    const trie = this.vocabulary.pieceTrie;
    const rightStart = this.symbolStarts[right]!;
    const rightEnd = this.symbolEnds[right]!;
    const node = trie.walk(leftNode, text, rightStart, rightEnd);
    if (node === NO_NODE) return;
    const id = trie.valueAt(node);
    if (id < 0) return;

    const pair = this.pairCount++;
    const leftStart = this.symbolStarts[left]!;
    this.pairLefts[pair] = left;
    this.pairRights[pair] = right;
    this.pairScores[pair] = this.vocabulary.scores[id]!;
    this.pairSizes[pair] = rightEnd - leftStart;
    this.pairNodes[pair] = node;
    this.pushHeap(pair);

    if (this.hasUnusedPieces && this.vocabulary.types[id] === PieceType.unused) {
      this.reverseMerges.set(id, [leftStart, this.symbolEnds[left]!, rightStart, rightEnd]);
    }
  }

  private resegment(text: Uint8Array, start: number, end: number, output: Segments): void {
    const id = this.vocabulary.idOfBytes(text, start, end);
    if (!this.hasUnusedPieces || this.vocabulary.types[id] !== PieceType.unused) {
      output.push(start, end, id);
      return;
    }
    const split = this.reverseMerges.get(id);
    if (split === undefined) {
      output.push(start, end, id);
      return;
    }
    // The recorded split may come from another occurrence of the same piece; only lengths matter.
    const leftLength = split[1] - split[0];
    this.resegment(text, start, start + leftLength, output);
    this.resegment(text, start + leftLength, end, output);
  }

  /** Adds a pair; the heap is ordered by higher score first, then smaller left index. */
  private pushHeap(pair: number): void {
    const heap = this.heap;
    const heapScores = this.heapScores;
    const heapLefts = this.heapLefts;
    const score = this.pairScores[pair]!;
    const left = this.pairLefts[pair]!;
    let index = this.heapSize++;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parentScore = heapScores[parentIndex]!;
      if (score < parentScore || (score === parentScore && left > heapLefts[parentIndex]!)) break;
      heap[index] = heap[parentIndex]!;
      heapScores[index] = parentScore;
      heapLefts[index] = heapLefts[parentIndex]!;
      index = parentIndex;
    }
    heap[index] = pair;
    heapScores[index] = score;
    heapLefts[index] = left;
  }

  private popTop(): number {
    const heap = this.heap;
    const heapScores = this.heapScores;
    const heapLefts = this.heapLefts;
    const top = heap[0]!;
    const size = --this.heapSize;
    const last = heap[size]!;
    const lastScore = heapScores[size]!;
    const lastLeft = heapLefts[size]!;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      let childScore = heapScores[child]!;
      if (child + 1 < size) {
        const siblingScore = heapScores[child + 1]!;
        if (siblingScore > childScore || (siblingScore === childScore && heapLefts[child + 1]! < heapLefts[child]!)) {
          child++;
          childScore = siblingScore;
        }
      }
      if (childScore < lastScore || (childScore === lastScore && heapLefts[child]! > lastLeft)) break;
      heap[index] = heap[child]!;
      heapScores[index] = childScore;
      heapLefts[index] = heapLefts[child]!;
      index = child;
    }
    if (size > 0) {
      heap[index] = last;
      heapScores[index] = lastScore;
      heapLefts[index] = lastLeft;
    }
    return top;
  }
}

/** A number identifying the UTF-8 character bytes[start, end) (at most 4 bytes). */
function characterKey(bytes: Uint8Array, start: number, end: number): number {
  let key = end - start;
  for (let index = start; index < end; index++) key = key * 256 + bytes[index]!;
  return key;
}

/**
 * Every character that directly precedes a U+2581 inside some piece that BPE can produce
 * (NORMAL, USER_DEFINED, UNUSED). Returns null (never split) if a piece is not well-formed
 * enough to tell.
 */
function findCharactersBeforeSpaceSymbol(vocabulary: Vocabulary): Set<number> | null {
  const characters = new Set<number>();
  for (let id = 0; id < vocabulary.size; id++) {
    const type = vocabulary.types[id];
    if (type !== PieceType.normal && type !== PieceType.userDefined && type !== PieceType.unused) continue;
    const bytes = vocabulary.pieceBytes[id]!;
    for (let position = 1; position + 2 < bytes.length; position++) {
      if (bytes[position] !== 0xe2 || bytes[position + 1] !== 0x96 || bytes[position + 2] !== 0x81) continue;
      let characterStart = position - 1;
      while (characterStart > 0 && position - characterStart < 4 && (bytes[characterStart]! & 0xc0) === 0x80) characterStart--;
      if ((bytes[characterStart]! & 0xc0) === 0x80 || leadByteLength(bytes[characterStart]!) !== position - characterStart) return null;
      characters.add(characterKey(bytes, characterStart, position));
    }
  }
  return characters;
}
