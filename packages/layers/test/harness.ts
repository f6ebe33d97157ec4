// Runs each layer test once per backend: ['reference'] by default, or the comma-separated
// TENSORZOO_BACKENDS (`TENSORZOO_BACKENDS=reference,wasm npx vitest run`). A backend other than the
// built-in reference is registered by importing `@tensorzoo/core/backends/<name>`; when that import
// fails (the backend is not written yet, or its build is missing) its blocks are skipped and the
// skip's name says why; under CI=true they fail instead. Every test is leak-checked with tz.memory().
import { describe, expect, test as vitestTest } from 'vitest';
import * as tz from '@tensorzoo/core';
import { resetLayerNames } from '@tensorzoo/layers';

export function backendNames(): string[] {
  const fromEnvironment = (process.env.TENSORZOO_BACKENDS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return fromEnvironment.length ? fromEnvironment : ['reference'];
}

/** Imports each requested backend once; the reason it cannot run, or null when it can. */
const unavailable = new Map<string, string | null>();
for (const backend of backendNames()) {
  if (backend === 'reference') {
    unavailable.set(backend, null);
    continue;
  }
  try {
    await import(/* @vite-ignore */ `@tensorzoo/core/backends/${backend}`);
    await tz.setBackend(backend);
    unavailable.set(backend, null);
  } catch (error) {
    unavailable.set(backend, `backend '${backend}' could not be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
}

export interface BackendSuite {
  readonly backend: string;
  /** A leak-checked test on this backend; layer names restart from scratch for each test. */
  test(name: string, body: () => void | Promise<void>): void;
}

export function describeBackends(title: string, fn: (suite: BackendSuite) => void): void {
  for (const backend of backendNames()) {
    const reason = unavailable.get(backend);
    if (reason && process.env.CI) {
      // Under CI=true a backend that cannot load is a failure, never a skip.
      describe(`${title} [${backend}]`, () => {
        vitestTest('backend is available', () => {
          throw new Error(`${reason} (under CI=true a missing backend is a failure)`);
        });
      });
      continue;
    }
    if (reason) {
      describe.skip(`${title} [${backend}: skipped, ${reason}]`, () => {
        vitestTest('skipped', () => {});
      });
      continue;
    }
    describe(`${title} [${backend}]`, () => {
      fn({
        backend,
        test(name, body) {
          vitestTest(name, async () => {
            await tz.setBackend(backend);
            resetLayerNames();
            const before = tz.memory();
            await body();
            const after = tz.memory();
            expect(after.numTensors, `live tensors after the test (before: ${before.numTensors})`).toBe(before.numTensors);
            expect(after.numDataIds, `live backend data after the test (before: ${before.numDataIds})`).toBe(before.numDataIds);
          });
        },
      });
    });
  }
}

/** Reads a tensor's values and disposes it. */
export function take(tensor: tz.Tensor): { shape: number[]; dtype: tz.DType; values: number[] } {
  const result = { shape: [...tensor.shape], dtype: tensor.dtype, values: Array.from(tensor.dataSync()) };
  tensor.dispose();
  return result;
}

/** Asserts every value is within atol + rtol·|expected|. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length, 'number of values').toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const difference = Math.abs(actual[index]! - expected[index]!);
    if (!(difference <= tolerance + tolerance * Math.abs(expected[index]!)))
      expect.fail(`value ${index}: expected ${expected[index]}, received ${actual[index]} (tolerance ${tolerance})`);
  }
}

/** A deterministic float32 tensor with values drawn from `seed` (uniform in [-1, 1)). */
export function seededTensor(shape: number[], seed: number): tz.Tensor {
  return tz.randomUniform(shape, { minval: -1, maxval: 1, seed });
}
