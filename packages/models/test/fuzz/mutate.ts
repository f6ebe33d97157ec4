// Seeded mutations of fixture files for the fuzz corpus (issue 19): byte-level damage (bit flips,
// "interesting" 8/32/64-bit values, truncation, insertion, deletion, duplication), biased towards
// a file's header region where parsers make decisions, and structural JSON mutations (a value
// replaced by null, a wrong type, a huge, negative or fractional number, a long string, a deep
// nest; keys deleted or renamed). Everything derives from one 32-bit seed, so a failing case is
// replayed from its family, seed and index alone. No Node imports: the fuzz child bundles this.

/** mulberry32: a small, fast, seedable 32-bit generator (statistical quality is ample here). */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  }
  /** Integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** The generator of case `index` of a family run with `seed`: independent streams per case. */
export function caseRandom(seed: number, index: number): Random {
  return new Random((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x7b, 0x5b];
const INTERESTING_32 = [0, 1, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x40000000];
const INTERESTING_64 = [0n, 1n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, 100_000_001n];

export interface ByteMutationOptions {
  /** Bytes at the start where parsers decide (a header); mutations land there with `headerBias`. */
  headerBytes: number;
  headerBias?: number;
  /** 1..maxMutations mutations are stacked per case. */
  maxMutations?: number;
}

/** Applies 1..maxMutations random byte mutations; returns the new bytes and what was done. */
export function mutateBytes(source: Uint8Array, random: Random, options: ByteMutationOptions): { bytes: Uint8Array; steps: string[] } {
  let bytes = source.slice();
  const steps: string[] = [];
  const count = 1 + random.below(options.maxMutations ?? 3);
  for (let step = 0; step < count; step++) {
    const length = bytes.length;
    const inHeader = random.chance(options.headerBias ?? 0.6) && options.headerBytes > 0;
    const position = length === 0 ? 0 : random.below(inHeader ? Math.min(options.headerBytes, length) : length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (random.below(9)) {
      case 0: {
        if (length === 0) break;
        const bit = random.below(8);
        bytes[position] = bytes[position]! ^ (1 << bit);
        steps.push(`flip bit ${bit} at ${position}`);
        break;
      }
      case 1: {
        if (length === 0) break;
        const value = random.pick(INTERESTING_8);
        bytes[position] = value;
        steps.push(`byte ${position} = ${value}`);
        break;
      }
      case 2: {
        if (position + 4 > length) break;
        const value = random.chance(0.5) ? random.pick(INTERESTING_32) : random.below(2 ** 32);
        view.setUint32(position, value, random.chance(0.8));
        steps.push(`u32 at ${position} = ${value}`);
        break;
      }
      case 3: {
        if (position + 8 > length) break;
        const value = random.pick(INTERESTING_64);
        view.setBigUint64(position, value, true);
        steps.push(`u64 at ${position} = ${value}`);
        break;
      }
      case 4: {
        const at = random.chance(0.5) ? position : random.below(length + 1);
        bytes = bytes.slice(0, at);
        steps.push(`truncate to ${at}`);
        break;
      }
      case 5: {
        const inserted = new Uint8Array(1 + random.below(16)).map(() => random.below(256));
        bytes = concat(bytes.subarray(0, position), inserted, bytes.subarray(position));
        steps.push(`insert ${inserted.length} bytes at ${position}`);
        break;
      }
      case 6: {
        const removed = Math.min(1 + random.below(64), length - position);
        bytes = concat(bytes.subarray(0, position), bytes.subarray(position + removed));
        steps.push(`delete ${removed} bytes at ${position}`);
        break;
      }
      case 7: {
        if (length < 2) break;
        const from = random.below(length);
        const size = Math.min(1 + random.below(256), length - from, length - position);
        bytes.copyWithin(position, from, from + size);
        steps.push(`copy ${size} bytes from ${from} to ${position}`);
        break;
      }
      default: {
        const appended = new Uint8Array(1 + random.below(64)).map(() => random.below(256));
        bytes = concat(bytes, appended);
        steps.push(`append ${appended.length} bytes`);
      }
    }
  }
  return { bytes, steps };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const result = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** Values a hostile or corrupt JSON file may hold where something else belongs. */
function hostileValue(random: Random): unknown {
  switch (random.below(16)) {
    case 0: return null;
    case 1: return true;
    case 2: return -1;
    case 3: return 0;
    case 4: return 1e300;
    case 5: return 1e9;
    case 6: return -1e9;
    case 7: return 2 ** 53 + 2;
    case 8: return 1.5;
    case 9: return 'abc';
    case 10: return '';
    case 11: return [];
    case 12: return {};
    case 13: return '../../../etc/passwd';
    case 14: return 'x'.repeat(100_000);
    default: {
      let nested: unknown = 1;
      for (let depth = 0; depth < 2000; depth++) nested = [nested];
      return nested;
    }
  }
}

/** Every container path in a JSON value (objects and arrays), root first. */
function containers(value: unknown, path: (string | number)[] = [], into: (string | number)[][] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return into;
  into.push(path);
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  for (const [key, item] of entries) containers(item, [...path, key], into);
  return into;
}

function at(root: unknown, path: (string | number)[]): any {
  return path.reduce((value: any, key) => value[key], root);
}

/**
 * A structural mutation of parsed JSON: 1..3 of replace-a-value, delete-a-key, rename-a-key,
 * scale-a-number, or swap two values. Returns the text (sometimes byte-damaged too).
 */
export function mutateJson(text: string, random: Random): { text: string; steps: string[] } {
  const root = JSON.parse(text) as unknown;
  const steps: string[] = [];
  const count = 1 + random.below(3);
  for (let step = 0; step < count; step++) {
    const paths = containers(root);
    if (paths.length === 0) break;
    const path = random.pick(paths);
    const container = at(root, path);
    const keys = Array.isArray(container) ? container.map((_, index) => index) : Object.keys(container);
    if (keys.length === 0) {
      if (!Array.isArray(container)) container['fuzz'] = hostileValue(random);
      continue;
    }
    const key = random.pick(keys as (string | number)[]);
    const where = [...path, key].join('.');
    switch (random.below(5)) {
      case 0:
      case 1: {
        const value = hostileValue(random);
        container[key] = value;
        steps.push(`${where} = ${JSON.stringify(value)?.slice(0, 40)}`);
        break;
      }
      case 2:
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key];
        steps.push(`delete ${where}`);
        break;
      case 3:
        if (typeof container[key] === 'number') {
          container[key] = container[key] * random.pick([-1, 0, 1000, 1e6, 0.5]);
          steps.push(`scale ${where}`);
        } else if (!Array.isArray(container)) {
          container[`${String(key)}_renamed`] = container[key];
          delete container[key];
          steps.push(`rename ${where}`);
        }
        break;
      default: {
        const other = random.pick(keys as (string | number)[]);
        [container[key], container[other]] = [container[other], container[key]];
        steps.push(`swap ${where} and ${other}`);
      }
    }
  }
  let result = JSON.stringify(root);
  if (random.chance(0.15)) {
    const damaged = mutateBytes(new TextEncoder().encode(result), random, { headerBytes: 0, maxMutations: 2 });
    result = new TextDecoder().decode(damaged.bytes);
    steps.push(...damaged.steps.map((item) => `text: ${item}`));
  }
  return { text: result, steps };
}
