// The page side of the Chromium test: runs each kernel family on the reference backend and on
// gpujs in mode webgl2, and leaves {mode, renderer, errors, failures} on window.__gpujsResult.
import * as tz from '@tensorzoo/core';
import { gpujsMode, setGpujsMode, type GpujsBackend } from '@tensorzoo/core/backends/gpujs';

type Build = (...tensors: tz.Tensor[]) => tz.Tensor;

function seeded(length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = (state / 2 ** 32 - 0.5) * 4;
  }
  return values;
}

async function runOn(backend: string, inputs: { values: Float32Array; shape: number[] }[], build: Build): Promise<Float32Array> {
  await tz.setBackend(backend);
  const tensors = inputs.map((input) => tz.tensor(input.values, input.shape));
  const out = tz.tidy(() => build(...tensors));
  const values = Float32Array.from(await out.data());
  tz.dispose([...tensors, out]);
  return values;
}

async function main(): Promise<void> {
  setGpujsMode('webgl2');
  await tz.setBackend('gpujs');
  const backend = tz.engine.findBackend('gpujs') as GpujsBackend;
  const x = { values: seeded(2 * 5 * 3 * 8, 1), shape: [2, 5, 3, 8] };
  const row = { values: seeded(8, 2), shape: [8] };
  const positive = { values: seeded(5 * 8, 3).map((value) => Math.abs(value) + 0.1), shape: [5, 8] };
  const a = { values: seeded(17 * 33, 4), shape: [17, 33] };
  const b = { values: seeded(33 * 9, 5), shape: [33, 9] };
  const checks: [string, (typeof x)[], Build][] = [
    ['unary', [x], (t) => tz.add(tz.add(tz.exp(tz.mul(t, 0.5)), tz.tanh(t)), tz.add(tz.erf(t), tz.abs(t)))],
    ['log/sqrt/pow', [positive], (t) => tz.add(tz.log(t), tz.pow(tz.sqrt(t), t))],
    ['broadcast arithmetic', [x, row], (t, r) => tz.div(tz.sub(tz.mul(t, r), r), tz.add(tz.abs(r), 1))],
    ['compare/where', [x, row], (t, r) => tz.where(tz.greater(t, r), t, tz.neg(r))],
    ['reductions', [x], (t) => tz.add(tz.add(tz.sum(t, -1, true), tz.max(t, 1, true)), tz.min(t, [0, 3], true))],
    ['matMul', [a, b], (p, q) => tz.matMul(p, q)],
    ['matMul batched transposed', [x], (t) => tz.matMul(t, t, { transposeB: true })],
    ['transpose/slice/concat', [x], (t) => tz.concat([tz.transpose(t, [0, 2, 1, 3]), tz.slice(tz.transpose(t, [0, 2, 1, 3]), [0, 1, 0, 0], [2, 2, 5, 8])], 1)],
    ['gather', [a], (t) => tz.gather(t, tz.tensor([3, 0, 16, -1], [4], 'int32'), 0)],
    ['softmax masked', [x], (t) => tz.softmax(t, -1, tz.greater(t, -0.5))],
    ['rmsNorm', [x, row], (t, r) => tz.rmsNorm(t, r)],
    ['gelu', [x], (t) => tz.add(tz.gelu(t), tz.gelu(t, true))],
    ['rope', [x], (t) => tz.rotaryEmbedding(t)],
  ];
  const errors: Record<string, number> = {};
  const failures: string[] = [];
  for (const [name, inputs, build] of checks) {
    try {
      const expected = await runOn('reference', inputs, build);
      const received = await runOn('gpujs', inputs, build);
      let worst = 0;
      let scale = 0;
      for (let index = 0; index < expected.length; index++) {
        worst = Math.max(worst, Math.abs(received[index]! - expected[index]!));
        scale = Math.max(scale, Math.abs(expected[index]!));
      }
      errors[name] = received.length === expected.length ? worst / (scale || 1) : Infinity;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  const result = { mode: gpujsMode(), renderer: await backend.describeDevice(), errors, failures, deviceRuns: backend.stats.deviceRuns };
  (window as unknown as { __gpujsResult: unknown }).__gpujsResult = result;
}

main().catch((error: Error) => {
  (window as unknown as { __gpujsResult: unknown }).__gpujsResult = { failures: [`startup: ${error.message}`] };
});
