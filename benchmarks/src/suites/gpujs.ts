// Suite `gpujs`: the GPU.js backend in the mode TENSORZOO_GPUJS_MODE names (default: the
// platform's, headlessgl in Node) against the wasm backend on the same host:
//   parity      every kernel family on seeded inputs against the reference backend (max error);
//   matmul-N    float32 N×N·N×N for N = 1024 and 4096 (256 and 512 with --quick), with the
//               GPU.js time split into upload (host → device), kernel (device-resident inputs,
//               until the device reports the work done) and readback (device → host);
//   forward-T   the demo model's (tinycode-gemma2-6m) backbone forward pass over T = 128 token
//               ids, hidden states read back, with the max difference from the wasm backend.
// Every case names the mode and the device it ran on. Run it from the harness (`npm run bench --
// gpujs`) or directly (`node dist/suites/gpujs.js [--quick] [--out file.json]`), which is how it
// ran on the GPU host (a bundle of this file, Node carried there).
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import * as tz from '@tensorzoo/core';
import { GpujsBackend, gpujsBackendInfo, requestedGpujsMode, setGpujsMode } from '@tensorzoo/core/backends/gpujs';
import { setWasmThreads } from '@tensorzoo/core/backends/wasm';
import { GemmaBackbone } from '@tensorzoo/models';
import { machine, type CaseResult } from '../harness.js';
import type { Suite, SuiteOptions } from '../suite.js';

/** A harness case, plus the mode and device it ran on ('tensorzoo-gpujs' is not one of the harness's peers). */
type Row = Omit<CaseResult, 'impl'> & { suite: 'gpujs'; impl: string; mode: string; device: string };

function seeded(length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = state / 2 ** 32 - 0.5;
  }
  return values;
}

function stats(samples: number[]): { median: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

const now = () => performance.now();

function gpujs(): GpujsBackend {
  return tz.engine.findBackend('gpujs') as GpujsBackend;
}

/** max |a − b| / max |b| over two runs of the same computation. */
function relativeError(received: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < expected.length; index++) {
    worst = Math.max(worst, Math.abs(received[index]! - expected[index]!));
    scale = Math.max(scale, Math.abs(expected[index]!));
  }
  return worst / (scale || 1);
}

type Build = (...tensors: tz.Tensor[]) => tz.Tensor;

async function runOn(backend: string, inputs: { values: Float32Array; shape: number[] }[], build: Build): Promise<Float32Array> {
  await tz.setBackend(backend);
  const tensors = inputs.map((input) => tz.tensor(input.values, input.shape));
  const out = tz.tidy(() => build(...tensors));
  const values = (await out.data()) as Float32Array;
  tz.dispose([...tensors, out]);
  return values;
}

/** Each kernel family once on the GPU, against the reference backend: max relative error. */
async function parityChecks(failures: string[]): Promise<Record<string, number>> {
  const x = { values: seeded(2 * 7 * 4 * 16, 1), shape: [2, 7, 4, 16] };
  const row = { values: seeded(16, 2), shape: [16] };
  const positive = { values: seeded(7 * 16, 3).map((v) => v + 0.6), shape: [7, 16] };
  const a = { values: seeded(33 * 65, 4), shape: [33, 65] };
  const b = { values: seeded(65 * 17, 5), shape: [65, 17] };
  const wide = { values: seeded(48 * 128, 6), shape: [48, 128] };
  const tall = { values: seeded(64 * 48, 7), shape: [64, 48] };
  const big = { values: seeded(128 * 256, 8), shape: [128, 256] };
  const checks: [string, typeof x[], Build][] = [
    ['unary exp/tanh/erf/rsqrt', [x], (t) => tz.add(tz.add(tz.exp(t), tz.tanh(t)), tz.erf(t))],
    ['log/sqrt/pow', [positive], (t) => tz.add(tz.log(t), tz.pow(tz.sqrt(t), t))],
    ['broadcast arithmetic', [x, row], (t, r) => tz.div(tz.sub(tz.mul(t, r), r), tz.add(tz.abs(r), 1))],
    ['compare/where', [x, row], (t, r) => tz.where(tz.greater(t, r), t, tz.neg(r))],
    ['sum/max/min', [x], (t) => tz.add(tz.add(tz.sum(t, -1, true), tz.max(t, 1, true)), tz.min(t, [0, 3], true))],
    ['matMul', [a, b], (p, q) => tz.matMul(p, q)],
    ['matMul transposed batched', [x], (t) => tz.matMul(t, t, { transposeB: true })],
    ['matMul 4-row blocks', [tall, wide], (p, q) => tz.matMul(p, q)],
    ['matMul 4-row blocks transposed', [wide, tall], (p, q) => tz.matMul(p, q, { transposeA: true, transposeB: true })],
    ['matMul B transposed first', [big], (p) => tz.matMul(p, p, { transposeB: true })],
    ['transpose/slice/concat', [x], (t) => tz.concat([tz.transpose(t, [0, 2, 1, 3]), tz.slice(tz.transpose(t, [0, 2, 1, 3]), [0, 1, 0, 0], [2, 3, 7, 16])], 1)],
    ['gather', [a], (t) => tz.gather(t, tz.tensor([3, 0, 32, 7], [4], 'int32'), 0)],
    ['softmax masked', [x], (t) => tz.softmax(t, -1, tz.greater(t, -0.3))],
    ['rmsNorm', [x, row], (t, r) => tz.rmsNorm(t, r)],
    ['gelu exact/tanh', [x], (t) => tz.add(tz.gelu(t), tz.gelu(t, true))],
    ['rope', [x], (t) => tz.rotaryEmbedding(t)],
  ];
  const errors: Record<string, number> = {};
  for (const [name, inputs, build] of checks) {
    try {
        const expected = await runOn('reference', inputs, build);
        const received = await runOn('gpujs', inputs, build);
        errors[name] = relativeError(received, expected);
    } catch (error) {
      failures.push(`parity ${name}: ${(error as Error).message}`);
      errors[name] = Number.NaN;
    }
  }
  return errors;
}

interface MatMulTiming {
  /** Making the two tensors (host copies of the operands). */
  host: number[];
  upload: number[];
  kernel: number[];
  readback: number[];
  firstCall: number;
  error: number;
}

async function gpujsMatMul(n: number, rounds: number, a: Float32Array, b: Float32Array): Promise<MatMulTiming & { product: ArrayLike<number> }> {
  await tz.setBackend('gpujs');
  const timing: MatMulTiming = { host: [], upload: [], kernel: [], readback: [], firstCall: 0, error: 0 };
  let product: ArrayLike<number> = [];
  for (let round = 0; round <= rounds; round++) {
    const start = now();
    const left = tz.tensor(a, [n, n]);
    const right = tz.tensor(b, [n, n]);
    const made = now();
    gpujs().argumentOf(left.dataId);
    gpujs().argumentOf(right.dataId);
    await gpujs().synchronize(left.dataId);
    await gpujs().synchronize(right.dataId);
    const uploaded = now();
    const out = tz.matMul(left, right);
    await gpujs().synchronize(out.dataId);
    const computed = now();
    product = await out.data();
    const read = now();
    tz.dispose([left, right, out]);
    if (round === 0) timing.firstCall = read - start;
    else {
      timing.host.push(made - start);
      timing.upload.push(uploaded - made);
      timing.kernel.push(computed - uploaded);
      timing.readback.push(read - computed);
    }
  }
  return { ...timing, product };
}

async function wasmMatMul(n: number, rounds: number, a: Float32Array, b: Float32Array): Promise<{ times: number[]; product: ArrayLike<number> }> {
  await tz.setBackend('wasm');
  const times: number[] = [];
  let product: ArrayLike<number> = [];
  const left = tz.tensor(a, [n, n]);
  const right = tz.tensor(b, [n, n]);
  for (let round = 0; round <= rounds; round++) {
    const start = now();
    const out = tz.matMul(left, right);
    product = out.dataSync();
    if (round > 0) times.push(now() - start);
    out.dispose();
  }
  tz.dispose([left, right]);
  return { times, product };
}

async function forward(backend: string, model: GemmaBackbone, ids: number[], rounds: number): Promise<{ times: number[]; hidden: ArrayLike<number> }> {
  await tz.setBackend(backend);
  const times: number[] = [];
  let hidden: ArrayLike<number> = [];
  for (let round = 0; round <= rounds; round++) {
    const start = now();
    const out = model.call({ tokenIds: [ids] });
    hidden = await out.data();
    out.dispose();
    if (round > 0) times.push(now() - start);
  }
  return { times, hidden };
}

export interface GpujsReport {
  mode: string;
  device: string;
  wasmThreads: number;
  parity: Record<string, number>;
  rows: Row[];
  /** Sections that threw (the suite records them and goes on). */
  failures: string[];
  stats: ReturnType<typeof gpujsBackendInfo>['stats'];
}

export async function runGpujsSuite(quick: boolean, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<GpujsReport> {
  const mode = requestedGpujsMode();
  setGpujsMode(mode);
  await tz.setBackend('gpujs');
  const device = await gpujs().describeDevice();
  const wasmThreads = cpus().length;
  await tz.setBackend('wasm');
  await setWasmThreads(wasmThreads);
  log(`gpujs mode ${mode} on ${device}; wasm with ${wasmThreads} threads`);
  const rows: Row[] = [];
  const add = (name: string, impl: string, metric: string, unit: string, samples: number[]) =>
    rows.push({ suite: 'gpujs', name, impl, threads: impl === 'tensorzoo-wasm' ? wasmThreads : 1, metric, unit, ...stats(samples), samples: samples.length, group: 'gpujs', mode: impl === 'tensorzoo-gpujs' ? mode : 'wasm', device: impl === 'tensorzoo-gpujs' ? device : 'cpu' });

  const failures: string[] = [];
  const parity = await parityChecks(failures);
  log(`parity (max |gpujs − reference| / max |reference|): ${JSON.stringify(parity)}`);

  for (const n of quick ? [256, 512] : [1024, 4096]) {
    try {
      const a = seeded(n * n, 1);
      const b = seeded(n * n, 2);
      const rounds = n >= 4096 ? 3 : 5;
      const gpu = await gpujsMatMul(n, rounds, a, b);
      const cpu = await wasmMatMul(n, rounds, a, b);
      const flops = 2 * n * n * n;
      const name = `matmul-${n}`;
      // Tensor creation (host copies) is outside the timed path on both sides, as for wasm.
      const total = gpu.upload.map((upload, index) => upload + gpu.kernel[index]! + gpu.readback[index]!);
      add(name, 'tensorzoo-gpujs', 'host copies', 'ms', gpu.host);
      add(name, 'tensorzoo-gpujs', 'upload', 'ms', gpu.upload);
      add(name, 'tensorzoo-gpujs', 'kernel', 'ms', gpu.kernel);
      add(name, 'tensorzoo-gpujs', 'readback', 'ms', gpu.readback);
      add(name, 'tensorzoo-gpujs', 'time', 'ms', total);
      add(name, 'tensorzoo-gpujs', 'first call (compile)', 'ms', [gpu.firstCall]);
      add(name, 'tensorzoo-gpujs', 'GFLOP/s', 'GFLOP/s', total.map((ms) => flops / ms / 1e6));
      add(name, 'tensorzoo-gpujs', 'kernel GFLOP/s', 'GFLOP/s', gpu.kernel.map((ms) => flops / ms / 1e6));
      add(name, 'tensorzoo-wasm', 'time', 'ms', cpu.times);
      add(name, 'tensorzoo-wasm', 'GFLOP/s', 'GFLOP/s', cpu.times.map((ms) => flops / ms / 1e6));
      add(name, 'tensorzoo-gpujs', 'max relative difference from wasm', '', [relativeError(gpu.product, cpu.product)]);
      log(`${name}: gpujs host ${stats(gpu.host).median.toFixed(1)} + upload ${stats(gpu.upload).median.toFixed(1)} + kernel ${stats(gpu.kernel).median.toFixed(1)} + readback ${stats(gpu.readback).median.toFixed(1)} ms; wasm ${stats(cpu.times).median.toFixed(1)} ms`);
    } catch (error) {
      failures.push(`matmul-${n}: ${(error as Error).stack}`);
    }
  }

  try {
    // Per-kernel cost: 200 chained small elementwise kernels, one read at the end.
    const chain = async (backend: string) => {
      await tz.setBackend(backend);
      const x = tz.tensor(seeded(128 * 256, 3), [128, 256]);
      const times: number[] = [];
      for (let round = 0; round <= 5; round++) {
        const start = now();
        const out = tz.tidy(() => {
          let y = x;
          for (let step = 0; step < 200; step++) y = tz.add(y, x);
          return y;
        });
        await out.data();
        out.dispose();
        if (round > 0) times.push((now() - start) / 200);
      }
      x.dispose();
      return times;
    };
    const perKernelGpu = await chain('gpujs');
    const perKernelCpu = await chain('wasm');
    add('chain-200-add-128x256', 'tensorzoo-gpujs', 'time per kernel', 'ms', perKernelGpu);
    add('chain-200-add-128x256', 'tensorzoo-wasm', 'time per kernel', 'ms', perKernelCpu);
    log(`chain of 200 adds [128, 256]: gpujs ${stats(perKernelGpu).median.toFixed(3)} ms a kernel, wasm ${stats(perKernelCpu).median.toFixed(3)} ms`);
  } catch (error) {
    failures.push(`chain: ${(error as Error).stack}`);
  }

  try {
    const model = await GemmaBackbone.fromPreset(process.env.TENSORZOO_DEFAULT_PRESET);
    const length = quick ? 32 : 128;
    const ids = Array.from({ length }, (_, index) => 4 + ((index * 7919) % 2000));
    const rounds = quick ? 2 : 5;
    const onWasm = await forward('wasm', model, ids, rounds);
    const onGpu = await forward('gpujs', model, ids, rounds);
    const name = `forward-${length}`;
    add(name, 'tensorzoo-gpujs', 'time', 'ms', onGpu.times);
    add(name, 'tensorzoo-gpujs', 'tokens/s', 'tokens/s', onGpu.times.map((ms) => (length * 1000) / ms));
    add(name, 'tensorzoo-wasm', 'time', 'ms', onWasm.times);
    add(name, 'tensorzoo-wasm', 'tokens/s', 'tokens/s', onWasm.times.map((ms) => (length * 1000) / ms));
    add(name, 'tensorzoo-gpujs', 'max relative difference from wasm', '', [relativeError(onGpu.hidden, onWasm.hidden)]);
    log(`${name}: gpujs ${stats(onGpu.times).median.toFixed(1)} ms, wasm ${stats(onWasm.times).median.toFixed(1)} ms`);
  } catch (error) {
    failures.push(`forward: ${(error as Error).stack}`);
  }
  for (const failure of failures) log(`FAILED ${failure}`);
  await tz.setBackend('gpujs');
  return { mode, device, wasmThreads, parity, rows, failures, stats: gpujsBackendInfo().stats };
}

const suite: Suite = {
  name: 'gpujs',
  description: 'the GPU.js backend (mode from TENSORZOO_GPUJS_MODE) against wasm: parity, matmul 1024³/4096³ split into upload/kernel/readback, model forward',
  groups: ['gpujs'],
  async run(_group: string, options: SuiteOptions): Promise<CaseResult[]> {
    const report = await runGpujsSuite(options.quick);
    return report.rows as unknown as CaseResult[];
  },
  summarize(results: CaseResult[]): string[] {
    const rows = results as unknown as Row[];
    const median = (name: string, impl: string, metric: string) => rows.find((row) => row.name === name && row.impl === impl && row.metric === metric)?.median;
    return ['matmul-1024', 'matmul-4096', 'matmul-256', 'matmul-512'].flatMap((name) => {
      const gpu = median(name, 'tensorzoo-gpujs', 'time');
      const cpu = median(name, 'tensorzoo-wasm', 'time');
      return gpu && cpu ? [`${name}: gpujs ${(cpu / gpu).toFixed(2)}× wasm (target at 4096³: ≥ 5×)`] : [];
    });
  },
};

export default suite;

// Run directly: the report as JSON (to --out, else stdout).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const outIndex = process.argv.indexOf('--out');
  const report = await runGpujsSuite(quick);
  // The harness's results format ({machine, cases}) plus what ran: mode, device, parity, counters.
  const { rows, ...rest } = report;
  const text = JSON.stringify({ machine: machine(), cases: rows, ...rest }, null, 2);
  if (outIndex > 0) writeFileSync(process.argv[outIndex + 1]!, text);
  else process.stdout.write(`${text}\n`);
  tz.engine.removeBackend('gpujs');
  process.exit(0);
}
