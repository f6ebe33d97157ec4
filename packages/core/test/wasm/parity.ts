// Parity helpers for the wasm kernel tests: build seeded random inputs on the host, run the same
// computation on the reference backend and on the wasm backend, and compare. Self-contained (the
// op suite's harness.ts is another engineer's file and may change).
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';

/** mulberry32: a tiny seeded generator, the same numbers on every run. */
export class Seeded {
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
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }
  int(low: number, high: number): number {
    return Math.floor(this.uniform(low, high));
  }
}

export interface HostTensor {
  values: tz.StorageValues;
  shape: number[];
  dtype: tz.DType;
}

export function floats(random: Seeded, shape: number[], low = -2, high = 2): HostTensor {
  const values = new Float32Array(tz.sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = random.uniform(low, high);
  return { values, shape, dtype: 'float32' };
}

export function ints(random: Seeded, shape: number[], low = -20, high = 20): HostTensor {
  const values = new Int32Array(tz.sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = random.int(low, high);
  return { values, shape, dtype: 'int32' };
}

export function bools(random: Seeded, shape: number[], pTrue = 0.5): HostTensor {
  const values = new Uint8Array(tz.sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = random.next() < pTrue ? 1 : 0;
  return { values, shape, dtype: 'bool' };
}

/** float32 values encoded as bfloat16/float16 storage. */
export function halves(random: Seeded, shape: number[], dtype: 'bfloat16' | 'float16', low = -2, high = 2): HostTensor {
  return { values: tz.encodeStorage(floats(random, shape, low, high).values, dtype), shape, dtype };
}

export interface Result {
  shape: number[];
  dtype: tz.DType;
  values: number[];
}

/** Runs `build` on `backend` over fresh tensors made from `inputs`; returns every output, read and disposed. */
export async function runOn(backend: string, inputs: HostTensor[], build: (...tensors: tz.Tensor[]) => tz.Tensor | tz.Tensor[]): Promise<Result[]> {
  await tz.setBackend(backend);
  const tensors = inputs.map((input) => tz.engine.makeTensor(input.values.slice() as tz.StorageValues, input.shape, input.dtype));
  try {
    const produced = tz.tidy(() => build(...tensors));
    const outputs = Array.isArray(produced) ? produced : [produced];
    const results: Result[] = [];
    for (const output of outputs) {
      expect(output.backendName, 'the backend that computed the output').toBe(backend);
      results.push({ shape: [...output.shape], dtype: output.dtype, values: Array.from(output.rawDataSync()) });
      output.dispose();
    }
    return results;
  } finally {
    for (const tensor of tensors) tensor.dispose();
  }
}

/**
 * The wasm outputs equal the reference outputs: same shapes and dtypes, values within
 * atol + rtol·|reference| (exact for int32 and bool); NaN only where the reference has NaN.
 */
export async function expectParity(
  label: string,
  inputs: HostTensor[],
  build: (...tensors: tz.Tensor[]) => tz.Tensor | tz.Tensor[],
  atol = 1e-6,
  rtol = 1e-5,
): Promise<void> {
  const want = await runOn('reference', inputs, build);
  const got = await runOn('wasm', inputs, build);
  expect(got.length, `${label}: output count`).toBe(want.length);
  want.forEach((expected, index) => {
    const actual = got[index]!;
    expect(actual.shape, `${label}: output ${index} shape`).toEqual(expected.shape);
    expect(actual.dtype, `${label}: output ${index} dtype`).toBe(expected.dtype);
    // int32 and bool exactly; bfloat16/float16 outputs compare their stored bits exactly.
    const exact = expected.dtype !== 'float32';
    const bad: string[] = [];
    for (let i = 0; i < expected.values.length; i++) {
      const a = actual.values[i]!;
      const e = expected.values[i]!;
      let ok: boolean;
      if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(a) && Number.isNaN(e);
      else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
      else ok = exact ? a === e : Math.abs(a - e) <= atol + rtol * Math.abs(e);
      if (!ok && bad.length < 5) bad.push(`[${i}] wasm ${a}, reference ${e}`);
    }
    expect(bad, `${label}: output ${index} values (atol ${atol}, rtol ${rtol})`).toEqual([]);
  });
}
