// A byte-level double-array trie over vocabulary pieces (our own construction; the library uses
// darts-clone for the same purpose). Every node is an index into three typed arrays: `base`
// (children of node n with byte b live at base[n] + b), `check` (the parent of each slot, -1 for
// a free slot) and `value` (the piece id ending at this node, or -1). A transition is two array
// reads, so matching a piece costs a few nanoseconds per byte and allocates nothing.

export interface TrieEntry {
  readonly bytes: Uint8Array;
  readonly value: number;
}

export const NO_NODE = -1;
export const ROOT_NODE = 0;

export class PieceTrie {
  /** Use `PieceTrie.build`. */
  constructor(
    private readonly base: Int32Array,
    private readonly check: Int32Array,
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
   * processor rejects empty pieces before this). When two entries share a key the first wins.
   */
  static build(entries: readonly TrieEntry[]): PieceTrie {
    const sorted = entries.filter((entry) => entry.bytes.length > 0).slice().sort((left, right) => compareBytes(left.bytes, right.bytes));
    const builder = new DoubleArrayBuilder();
    if (sorted.length > 0) builder.place(sorted, 0, sorted.length, 0, ROOT_NODE);
    return builder.finish(sorted.length);
  }
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = left[index]! - right[index]!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

class DoubleArrayBuilder {
  private base = new Int32Array(1024);
  private check = new Int32Array(1024).fill(-1);
  private values = new Int32Array(1024).fill(-1);
  private size = 1;
  /** Every slot below this index is in use; the search for a free base starts here. */
  private firstFree = 1;

  constructor() {
    this.check[ROOT_NODE] = -2; // in use, and the parent of nothing
  }

  private grow(minimumSize: number): void {
    if (minimumSize <= this.check.length) return;
    let capacity = this.check.length * 2;
    while (capacity < minimumSize) capacity *= 2;
    const base = new Int32Array(capacity);
    base.set(this.base);
    const check = new Int32Array(capacity).fill(-1);
    check.set(this.check);
    const values = new Int32Array(capacity).fill(-1);
    values.set(this.values);
    this.base = base;
    this.check = check;
    this.values = values;
  }

  /**
   * Places the children of `node`, whose keys are `entries[from, to)` (sorted, all sharing the
   * first `depth` bytes), then recurses into each child.
   */
  place(entries: readonly TrieEntry[], from: number, to: number, depth: number, node: number): void {
    let first = from;
    // A key that ends here gives the node its value (sorting puts it first in the range).
    if (entries[first]!.bytes.length === depth) {
      if (this.values[node]! < 0) this.values[node] = entries[first]!.value;
      first++;
      while (first < to && entries[first]!.bytes.length === depth) first++; // duplicates: first wins
    }
    if (first >= to) return;

    const labels: number[] = [];
    const childStarts: number[] = [];
    for (let index = first; index < to; index++) {
      const label = entries[index]!.bytes[depth]!;
      if (labels.length === 0 || labels[labels.length - 1] !== label) {
        labels.push(label);
        childStarts.push(index);
      }
    }
    childStarts.push(to);

    const base = this.findBase(labels);
    this.base[node] = base;
    for (const label of labels) this.check[base + label] = node;
    while (this.firstFree < this.size && this.check[this.firstFree] !== -1) this.firstFree++;
    for (let index = 0; index < labels.length; index++) {
      this.place(entries, childStarts[index]!, childStarts[index + 1]!, depth + 1, base + labels[index]!);
    }
  }

  private findBase(labels: readonly number[]): number {
    const firstLabel = labels[0]!;
    let position = Math.max(this.firstFree, firstLabel + 1);
    for (;;) {
      const base = position - firstLabel;
      const highest = base + labels[labels.length - 1]!;
      this.grow(highest + 1);
      let free = true;
      for (const label of labels) {
        if (this.check[base + label] !== -1) {
          free = false;
          break;
        }
      }
      if (free) {
        if (highest + 1 > this.size) this.size = highest + 1;
        return base;
      }
      position++;
      while (position < this.size && this.check[position] !== -1) position++;
    }
  }

  finish(entryCount: number): PieceTrie {
    const size = this.size;
    return new PieceTrie(this.base.slice(0, size), this.check.slice(0, size), this.values.slice(0, size), entryCount);
  }
}
