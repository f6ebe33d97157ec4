// A byte-level double-array trie over vocabulary pieces (our own construction; the library uses
// darts-clone for the same purpose). Every node is an index into three typed arrays: `base`
// (children of node n with byte b live at base[n] + b), `check` (the parent of each slot, -1 for
// a free slot) and `value` (the piece id ending at this node, or -1). A transition is two array
// reads, so matching a piece costs a few nanoseconds per byte and allocates nothing.

import { bytesToLatin1 } from './utf8.js';

export interface TrieEntry {
  readonly bytes: Uint8Array;
  readonly value: number;
}

export const NO_NODE = -1;
export const ROOT_NODE = 0;

export class PieceTrie {
  /** Use `PieceTrie.build`. */
  constructor(
    /** Exposed for hot loops that inline `child`; treat as read-only. */
    readonly base: Int32Array,
    readonly check: Int32Array,
    readonly values: Int32Array,
    readonly entryCount: number,
  ) {}

  /** The child of `node` along `byte`, or NO_NODE. */
  child(node: number, byte: number): number {
    const next = this.base[node]! + byte;
    return next < this.check.length && this.check[next] === node ? next : NO_NODE;
  }

  /** Value at `node` (a piece id) or -1 when no piece ends there. */
  valueAt(node: number): number {
    return this.values[node]!;
  }

  /** Walks `bytes[start, end)` from `node`; NO_NODE if the path leaves the trie. */
  walk(node: number, bytes: Uint8Array, start: number, end: number): number {
    const base = this.base;
    const check = this.check;
    const size = check.length;
    let current = node;
    for (let index = start; index < end; index++) {
      const next = base[current]! + bytes[index]!;
      if (next >= size || check[next] !== current) return NO_NODE;
      current = next;
    }
    return current;
  }

  /** The value stored for exactly `bytes[start, end)`, or -1. */
  exactMatch(bytes: Uint8Array, start: number, end: number): number {
    const node = this.walk(ROOT_NODE, bytes, start, end);
    return node === NO_NODE ? -1 : this.values[node]!;
  }

  /** Length of the longest entry that is a prefix of `bytes[start, end)`, or 0. */
  longestPrefixLength(bytes: Uint8Array, start: number, end: number): number {
    const base = this.base;
    const check = this.check;
    const values = this.values;
    const size = check.length;
    let current = ROOT_NODE;
    let longest = 0;
    for (let index = start; index < end; index++) {
      const next = base[current]! + bytes[index]!;
      if (next >= size || check[next] !== current) break;
      current = next;
      if (values[current]! >= 0) longest = index + 1 - start;
    }
    return longest;
  }

  /**
   * Builds the trie. Entries with an empty key are ignored (a piece is never empty; the
   * processor rejects empty pieces before this). When entries share a key the first one (in the
   * given order) wins and `onDuplicate(keptValue, duplicateValue)` is told about each other one.
   */
  static build(entries: readonly TrieEntry[], onDuplicate?: (keptValue: number, duplicateValue: number) => void): PieceTrie {
    // Sort by a latin1 key: string comparison then orders exactly like the bytes, natively fast.
    const keyed = entries.filter((entry) => entry.bytes.length > 0).map((entry) => ({ entry, key: bytesToLatin1(entry.bytes) }));
    keyed.sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));
    const sorted = keyed.map((item) => item.entry);
    const builder = new DoubleArrayBuilder(onDuplicate);
    if (sorted.length > 0) builder.place(sorted, 0, sorted.length, 0, ROOT_NODE);
    return builder.finish(sorted.length);
  }
}

/** How many failed base searches a free slot survives before it is no longer tried. */
const MAXIMUM_FAILED_VISITS = 16;

/**
 * Builds the double array by placing each node's children at the first base where all their
 * slots are free. Free slots are kept in a doubly linked list, so the search visits free slots
 * only and construction stays fast for vocabularies of hundreds of thousands of pieces.
 */
class DoubleArrayBuilder {
  private base = new Int32Array(1024);
  private check = new Int32Array(1024).fill(-1);
  private values = new Int32Array(1024).fill(-1);
  private nextFree = new Int32Array(1024);
  private failedVisits = new Uint8Array(1024);
  private scratch = new Int32Array(1024);
  private scratchTop = 0;
  private readonly onDuplicate: ((keptValue: number, duplicateValue: number) => void) | undefined;
  private previousFree = new Int32Array(1024);
  /** One past the highest slot in use. */
  private size = 1;
  private firstFree: number;
  private lastFree: number;

  constructor(onDuplicate?: (keptValue: number, duplicateValue: number) => void) {
    this.onDuplicate = onDuplicate;
    this.check[ROOT_NODE] = -2; // in use, and the parent of nothing
    // Free list over slots 1..capacity-1; -1 ends it.
    for (let slot = 1; slot < 1024; slot++) {
      this.nextFree[slot] = slot + 1 < 1024 ? slot + 1 : -1;
      this.previousFree[slot] = slot - 1 >= 1 ? slot - 1 : -1;
    }
    this.firstFree = 1;
    this.lastFree = 1023;
  }

  private grow(minimumCapacity: number): void {
    const oldCapacity = this.check.length;
    if (minimumCapacity <= oldCapacity) return;
    let capacity = oldCapacity * 2;
    while (capacity < minimumCapacity) capacity *= 2;
    const extend = (source: Int32Array, fill: number) => {
      const grown = new Int32Array(capacity).fill(fill);
      grown.set(source);
      return grown;
    };
    this.base = extend(this.base, 0);
    this.check = extend(this.check, -1);
    this.values = extend(this.values, -1);
    this.nextFree = extend(this.nextFree, 0);
    this.previousFree = extend(this.previousFree, 0);
    const failedVisits = new Uint8Array(capacity);
    failedVisits.set(this.failedVisits);
    this.failedVisits = failedVisits;
    // Append the new slots to the free list.
    for (let slot = oldCapacity; slot < capacity; slot++) {
      this.previousFree[slot] = slot === oldCapacity ? this.lastFree : slot - 1;
      this.nextFree[slot] = slot + 1 < capacity ? slot + 1 : -1;
    }
    if (this.lastFree >= 0) this.nextFree[this.lastFree] = oldCapacity;
    else this.firstFree = oldCapacity;
    this.lastFree = capacity - 1;
  }

  private take(slot: number, parent: number): void {
    this.check[slot] = parent;
    if (slot + 1 > this.size) this.size = slot + 1;
    if (this.failedVisits[slot]! <= MAXIMUM_FAILED_VISITS) this.unlinkFree(slot);
  }

  /** Removes a slot from the search list (it stays free in `check` until taken). */
  private unlinkFree(slot: number): void {
    const previous = this.previousFree[slot]!;
    const next = this.nextFree[slot]!;
    if (previous >= 0) this.nextFree[previous] = next;
    else this.firstFree = next;
    if (next >= 0) this.previousFree[next] = previous;
    else this.lastFree = previous;
  }

  /**
   * Places the children of `node`, whose keys are `entries[from, to)` (sorted, all sharing the
   * first `depth` bytes), then recurses into each child.
   */
  place(entries: readonly TrieEntry[], from: number, to: number, depth: number, node: number): void {
    let first = from;
    // A key that ends here gives the node its value (sorting puts it first in the range).
    if (entries[first]!.bytes.length === depth) {
      const kept = entries[first]!.value;
      this.values[node] = kept;
      first++;
      for (; first < to && entries[first]!.bytes.length === depth; first++) this.onDuplicate?.(kept, entries[first]!.value);
    }
    if (first >= to) return;

    // This node's child labels and the start of each child's key range live on a scratch stack
    // (no per-node arrays): labels at [frame, frame + count), range starts after them.
    const frame = this.scratchTop;
    let count = 0;
    this.reserveScratch(2 * (to - first) + 1);
    for (let index = first; index < to; index++) {
      const label = entries[index]!.bytes[depth]!;
      if (count === 0 || this.scratch[frame + count - 1] !== label) {
        this.scratch[frame + count] = label;
        count++;
      }
    }
    // Range starts, recomputed in a second pass now that the label count is known.
    let slot = frame + count;
    let previousLabel = -1;
    for (let index = first; index < to; index++) {
      const label = entries[index]!.bytes[depth]!;
      if (label !== previousLabel) {
        this.scratch[slot++] = index;
        previousLabel = label;
      }
    }
    this.scratch[slot++] = to;
    this.scratchTop = slot;

    const base = this.findBase(this.scratch, frame, count);
    this.base[node] = base;
    for (let index = 0; index < count; index++) this.take(base + this.scratch[frame + index]!, node);
    for (let index = 0; index < count; index++) {
      const scratch = this.scratch; // re-read: a child may have grown it
      const label = scratch[frame + index]!;
      this.place(entries, scratch[frame + count + index]!, scratch[frame + count + index + 1]!, depth + 1, base + label);
    }
    this.scratchTop = frame;
  }

  private reserveScratch(additional: number): void {
    const needed = this.scratchTop + additional;
    if (needed <= this.scratch.length) return;
    const grown = new Int32Array(Math.max(needed, this.scratch.length * 2));
    grown.set(this.scratch);
    this.scratch = grown;
  }

  /** First base where the slots of all `count` labels at labels[offset...] are free. */
  private findBase(labels: Int32Array, offset: number, count: number): number {
    const firstLabel = labels[offset]!;
    const lastLabel = labels[offset + count - 1]!;
    let slot = this.firstFree;
    for (;;) {
      if (slot < 0) {
        const oldCapacity = this.check.length;
        this.grow(oldCapacity + 256);
        slot = oldCapacity;
        continue;
      }
      const base = slot - firstLabel;
      if (base >= 0) {
        if (base + lastLabel >= this.check.length) this.grow(base + lastLabel + 1);
        let free = true;
        for (let index = 1; index < count; index++) {
          if (this.check[base + labels[offset + index]!] !== -1) {
            free = false;
            break;
          }
        }
        if (free) return base;
      }
      const next = this.nextFree[slot]!;
      // A free slot that keeps failing is dropped from the search list (darts-clone closes old
      // blocks for the same reason): the search stays short, at the cost of a few unused slots.
      if (++this.failedVisits[slot]! > MAXIMUM_FAILED_VISITS) this.unlinkFree(slot);
      slot = next;
    }
  }

  finish(entryCount: number): PieceTrie {
    const size = this.size;
    return new PieceTrie(this.base.slice(0, size), this.check.slice(0, size), this.values.slice(0, size), entryCount);
  }
}
