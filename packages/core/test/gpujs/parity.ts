// Parity helpers for the gpujs kernel tests: seeded inputs made on the host, the same computation
// run on the reference backend and on gpujs, outputs compared (shape, dtype, values).
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';

/** Seeded inputs come from the op suite's generator (mulberry32, float32-representable values). */
export { TestRandom as Seeded } from '../harness.js';
import type { TestRandom as Seeded } from '../harness.js';

export interface HostTensor {
  values: tz.StorageValues;
  shape: number[];
  dtype: tz.DType;
}

export function floats(random: Seeded, shape: number[], low = -2, high = 2): HostTensor {
  const values = new Float32Array(tz.sizeOf(shape));
  for (let index = 0; index < values.length; index++) values[index] = random.float(low, high);
  return { values, shape, dtype: 'float32' };
}

export function ints(random: Seeded, shape: number[], low: number, high: number): HostTensor {
  const values = new Int32Array(tz.sizeOf(shape));
  for (let index = 0; index < values.length; index++) values[index] = random.int(low, high - 1);
  return { values, shape, dtype: 'int32' };
}

export function bools(random: Seeded, shape: number[]): HostTensor {
  const values = new Uint8Array(tz.sizeOf(shape));
  for (let index = 0; index < values.length; index++) values[index] = random.next() < 0.5 ? 1 : 0;
  return { values, shape, dtype: 'bool' };
}

export interface Result {
  shape: number[];
  dtype: tz.DType;
  values: Float64Array;
}

export async function runOn(backend: string, inputs: readonly HostTensor[], build: (...tensors: tz.Tensor[]) => tz.Tensor | tz.Tensor[]): Promise<Result[]> {
  await tz.setBackend(backend);
  const tensors = inputs.map((input) => tz.engine.makeTensor(input.values.slice() as tz.StorageValues, input.shape, input.dtype));
  try {
    const produced = tz.tidy(() => build(...tensors));
    const outputs = Array.isArray(produced) ? produced : [produced];
    const results: Result[] = [];
    for (const output of outputs) {
      expect(output.backendName, 'the backend that computed the output').toBe(backend);
      results.push({ shape: [...output.shape], dtype: output.dtype, values: Float64Array.from(await output.data()) });
      output.dispose();
    }
    return results;
  } finally {
    for (const tensor of tensors) tensor.dispose();
  }
}

/** Runs `build` on both backends and checks gpujs against reference: |g − r| ≤ atol + rtol·|r|. */
export async function expectParity(
  label: string,
  inputs: readonly HostTensor[],
  build: (...tensors: tz.Tensor[]) => tz.Tensor | tz.Tensor[],
  atol = 0,
  rtol = 0,
): Promise<void> {
  const expected = await runOn('reference', inputs, build);
  const received = await runOn('gpujs', inputs, build);
  expect(received.length, `${label}: outputs`).toBe(expected.length);
  received.forEach((got, index) => {
    const want = expected[index]!;
    expect(got.shape, `${label}: shape`).toEqual(want.shape);
    expect(got.dtype, `${label}: dtype`).toBe(want.dtype);
    let worst = 0;
    let worstAt = -1;
    for (let position = 0; position < want.values.length; position++) {
      const a = got.values[position]!;
      const e = want.values[position]!;
      const excess = Number.isNaN(e) ? (Number.isNaN(a) ? 0 : Infinity) : !Number.isFinite(e) ? (a === e ? 0 : Infinity) : Math.abs(a - e) - (atol + rtol * Math.abs(e));
      if (excess > worst || (excess > 0 && worstAt < 0)) {
        worst = excess;
        worstAt = position;
      }
    }
    if (worstAt >= 0)
      expect.fail(`${label}: output ${index} differs beyond atol ${atol} + rtol ${rtol}·|expected| at [${worstAt}]: received ${got.values[worstAt]}, expected ${want.values[worstAt]}`);
  });
}
