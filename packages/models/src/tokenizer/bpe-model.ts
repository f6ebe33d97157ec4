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
  private heap = new Int32Array(0);
  private heapSize = 0;
  private pairCount = 0;

  /** For UNUSED pieces: the last split seen, as [leftStart, leftEnd, rightStart, rightEnd]. */
  private reverseMerges = new Map<number, [number, number, number, number]>();
  private readonly hasUnusedPieces: boolean;

  constructor(private readonly vocabulary: Vocabulary) {
    this.hasUnusedPieces = vocabulary.types.includes(PieceType.unused);
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

    this.heapSize = 0;
    this.pairCount = 0;
    if (this.hasUnusedPieces) this.reverseMerges.clear();
    for (let index = 1; index < symbolCount; index++) this.maybeQueuePair(text, index - 1, index);

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

    for (let index = 0; index !== -1; index = this.next[index]!) {
      this.resegment(text, starts[index]!, ends[index]!, output);
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

  /** True when pair `first` must merge before pair `second`. */
  private before(first: number, second: number): boolean {
    const firstScore = this.pairScores[first]!;
    const secondScore = this.pairScores[second]!;
    if (firstScore !== secondScore) return firstScore > secondScore;
    return this.pairLefts[first]! < this.pairLefts[second]!;
  }

  private pushHeap(pair: number): void {
    const heap = this.heap;
    let index = this.heapSize++;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!this.before(pair, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = pair;
  }

  private popTop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap[--this.heapSize]!;
    const size = this.heapSize;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      if (child + 1 < size && this.before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.before(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    if (size > 0) heap[index] = last;
    return top;
  }
}
