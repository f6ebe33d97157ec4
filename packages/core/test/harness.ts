// The backend-parametrised test harness. An op test is written once, inside `describeBackends`,
// and runs on every backend in the list: ['reference'] by default, or the comma-separated
// TENSORZOO_BACKENDS (e.g. `TENSORZOO_BACKENDS=reference,wasm npx vitest run`). Backends other
// than the built-in reference register themselves when `@tensorzoo/core/backends/<name>` is
// imported; the harness imports that module before `setBackend`.
//
// Every test registered through `suite.test` is wrapped in the leak check: the live tensor count
// and the backend's live data count must be the same after the test as before it.
import { beforeAll, describe, expect, test as vitestTest } from 'vitest';
import * as tz from '@tensorzoo/core';
import { skipFor } from './skips.js';

export type Body = () => void | Promise<void>;

export interface BackendSuite {
  /** The backend this copy of the block runs on. */
  readonly backend: string;
  /** A leak-checked test on this backend (skipped, with its reason, when skips.ts says so). */
  test(name: string, body: Body): void;
}

/** The backends to run on, from TENSORZOO_BACKENDS or the default ['reference']. */
export function backendNames(): string[] {
  const fromEnvironment = (process.env.TENSORZOO_BACKENDS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return fromEnvironment.length ? fromEnvironment : ['reference'];
}

async function activate(backend: string): Promise<void> {
  // The reference backend is registered by core itself; the others register on import.
  if (backend !== 'reference') {
    try {
      await import(`@tensorzoo/core/backends/${backend}`);
    } catch (error) {
      throw new Error(`harness: TENSORZOO_BACKENDS names '${backend}', but '@tensorzoo/core/backends/${backend}' could not be imported: ${(error as Error).message}`);
    }
  }
  await tz.setBackend(backend);
}

export function describeBackends(title: string, fn: (suite: BackendSuite) => void): void {
  for (const backend of backendNames()) {
    describe(`${title} [${backend}]`, () => {
      // A backend that cannot start fails every test of the block (a throwing beforeAll would
      // make vitest report them as skipped).
      let activationError: Error | null = null;
      beforeAll(() => activate(backend).catch((error: Error) => void (activationError = error)));
      fn({
        backend,
        test(name, body) {
          const skip = skipFor(backend, title, name);
          if (skip) {
            vitestTest.skip(`${name} [skipped on ${backend}: ${skip.reason}]`, () => {});
            return;
          }
          vitestTest(name, async () => {
            if (activationError) throw activationError;
            expect(tz.getBackend(), 'the active backend').toBe(backend);
            await withLeakCheck(body);
          });
        },
      });
    });
  }
}

/** Runs `body` and fails if it left tensors (or backend data) alive. */
export async function withLeakCheck(body: Body): Promise<void> {
  const before = tz.memory();
  await body();
  const after = tz.memory();
  expect(after.numTensors, `live tensors after the test (before: ${before.numTensors})`).toBe(before.numTensors);
  expect(after.numDataIds, `live backend data after the test (before: ${before.numDataIds})`).toBe(before.numDataIds);
}

// === Reading tensors ===

export interface ReadTensor {
  shape: number[];
  dtype: tz.DType;
  values: number[];
}

/** Reads a tensor (async, so GPU backends work too), disposes it, and returns plain values. */
export async function readAndDispose(tensor: tz.Tensor): Promise<ReadTensor> {
  const values = Array.from(await tensor.data());
  const result = { shape: [...tensor.shape], dtype: tensor.dtype, values };
  tensor.dispose();
  return result;
}

/** Reads and disposes, then checks shape, dtype and values (exactly unless tolerances are given). */
export async function expectTensor(
  tensor: tz.Tensor,
  shape: readonly number[],
  dtype: tz.DType,
  expected: Nested,
  atol = 0,
  rtol = 0,
): Promise<void> {
  const read = await readAndDispose(tensor);
  expect(read.shape, 'shape').toEqual([...shape]);
  expect(read.dtype, 'dtype').toBe(dtype);
  expectClose(read.values, expected, atol, rtol);
}

// === Comparing numbers ===

export type Nested = number | boolean | ArrayLike<number> | readonly Nested[];

export function flattenNested(value: Nested): number[] {
  if (typeof value === 'number') return [value];
  if (typeof value === 'boolean') return [value ? 1 : 0];
  const out: number[] = [];
  const items = Array.from(value as ArrayLike<Nested>);
  for (const item of items) out.push(...flattenNested(item));
  return out;
}

/**
 * |actual − expected| ≤ atol + rtol·|expected| elementwise; NaN matches only NaN and infinities
 * must match exactly. On failure the message lists the worst mismatches with their flat index.
 */
export function expectClose(actual: Nested, expected: Nested, atol = 1e-6, rtol = 1e-6): void {
  const got = flattenNested(actual);
  const want = flattenNested(expected);
  if (got.length !== want.length) throw new Error(`expectClose: ${got.length} values received, ${want.length} expected`);
  const mismatches: { index: number; got: number; want: number; error: number }[] = [];
  for (let index = 0; index < got.length; index++) {
    const a = got[index]!;
    const e = want[index]!;
    let ok: boolean;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(e) && Number.isNaN(a);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
    else ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) mismatches.push({ index, got: a, want: e, error: Math.abs(a - e) });
  }
  if (mismatches.length) {
    const worst = [...mismatches].sort((x, y) => (y.error || Infinity) - (x.error || Infinity)).slice(0, 6);
    const lines = worst.map((entry) => `  [${entry.index}] received ${entry.got}, expected ${entry.want} (|diff| ${entry.error})`);
    throw new Error(
      `expectClose: ${mismatches.length} of ${got.length} values differ beyond atol ${atol} + rtol ${rtol}·|expected|; worst:\n${lines.join('\n')}`,
    );
  }
}

/** Expects `fn` to throw a TensorzooError whose message starts with `op:` and contains every fragment. */
export function expectError(fn: () => unknown, op: string, ...fragments: string[]): void {
  let caught: unknown;
  try {
    const result = fn();
    if (result instanceof tz.Tensor) result.dispose();
  } catch (error) {
    caught = error;
  }
  expect(caught, `${op} should have thrown`).toBeInstanceOf(tz.TensorzooError);
  const message = (caught as Error).message;
  expect(message.startsWith(`${op}:`), `message names the op: ${message}`).toBe(true);
  for (const fragment of fragments) expect(message, 'error message').toContain(fragment);
}

// === Seeded random inputs (independent of the library's own generator) ===

/** mulberry32: a tiny seeded generator for test inputs. */
export class TestRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A float32-representable value in [min, max). */
  float(min = -1, max = 1): number {
    return Math.fround(min + (max - min) * this.next());
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  floats(size: number, min = -1, max = 1): number[] {
    return Array.from({ length: size }, () => this.float(min, max));
  }
  ints(size: number, min: number, max: number): number[] {
    return Array.from({ length: size }, () => this.int(min, max));
  }
  shape(rank: number, minDim = 1, maxDim = 4): number[] {
    return Array.from({ length: rank }, () => this.int(minDim, maxDim));
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let index = out.length - 1; index > 0; index--) {
      const other = this.int(0, index);
      [out[index], out[other]] = [out[other]!, out[index]!];
    }
    return out;
  }
}

export interface RandomInput {
  tensor: tz.Tensor;
  values: number[];
  shape: number[];
}

/** A seeded random float32 tensor and its values as plain numbers. */
export function randomFloatTensor(random: TestRandom, shape: readonly number[], min = -1, max = 1): RandomInput {
  const values = random.floats(tz.sizeOf(shape), min, max);
  return { tensor: tz.tensor(values, shape, 'float32'), values, shape: [...shape] };
}

/** A seeded random int32 tensor with values in [min, max]. */
export function randomIntTensor(random: TestRandom, shape: readonly number[], min = -5, max = 5): RandomInput {
  const values = random.ints(tz.sizeOf(shape), min, max);
  return { tensor: tz.tensor(values, shape, 'int32'), values, shape: [...shape] };
}
