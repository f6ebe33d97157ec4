// Not a test (tests never time): `node test/wasm/measure-quant.mjs [threads...]` after a build
// (imports ../../dist, so it also runs on a machine without node_modules).
// GEMV 1×K×N (default 1×2048×16384) weight bandwidth of the wasm backend for float32, bfloat16,
// int8 (matMulInt8) and int4 (matMulInt4, grouped by 128) weights, and the bandwidth of a plain
// copy loop, at each thread count; GB/s = weight bytes read per second (1e9 bytes). M=128 in the
// environment measures the GEMM M×K×N instead (GFLOP/s is the figure there).
import * as tz from '../../dist/index.js';
import { measureWasmCopyBandwidth, setWasmThreads, timeCalls, wasmBackendInfo } from '../../dist/backends/wasm/index.js';

const M = Number(process.env.M ?? 1), K = Number(process.env.K ?? 2048), N = Number(process.env.N ?? 16384);
const threadCounts = process.argv.slice(2).map(Number);
if (threadCounts.length === 0) threadCounts.push(1, 2);
await tz.setBackend('wasm');
let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const floats = (n) => Float32Array.from({ length: n }, random);
const bytes = (n) => Int8Array.from({ length: n }, () => Math.floor(random() * 128));

const x = tz.tensor(floats(M * K), [M, K]);
const wF32 = tz.tensor(floats(K * N), [K, N]);
const wBf16 = tz.cast(wF32, 'bfloat16');
const xq = tz.tensor(bytes(M * K), [M, K], 'int8');
const xScale = tz.tensor(new Float32Array(M).fill(0.5), [M, 1]);
const wI8 = tz.tensor(bytes(K * N), [K, N], 'int8');
const wI8Scale = tz.tensor(floats(N).map(Math.abs), [N]);
const packed = tz.tensor(bytes(K * N / 2), [K, N / 2], 'int8');
const groups = Math.ceil(K / 128);
const i4Scale = tz.tensor(floats(groups * N).map(Math.abs), [groups, N]);
const i4Zero = tz.tensor(bytes(groups * N).map((v) => v % 8), [groups, N], 'int8');

const cases = [
  ['float32', K * N * 4, () => tz.matMul(x, wF32)],
  ['bfloat16', K * N * 2, () => tz.matMul(x, wBf16)],
  ['int8', K * N, () => tz.matMulInt8(xq, xScale, wI8, wI8Scale)],
  ['int4', K * N / 2, () => tz.matMulInt4(x, packed, i4Scale, i4Zero, { layout: 'kernel', blockSize: 128 })],
];
const info = await wasmBackendInfo();
console.log(`${M === 1 ? 'GEMV' : 'GEMM'} ${M}x${K}x${N}, wasm variant ${info.variant}, node ${process.version}`);
for (const threads of threadCounts) {
  await setWasmThreads(threads);
  const copy = measureWasmCopyBandwidth();
  const copyBest = copy.bytes / copy.best;
  console.log(`threads ${threads}: copy loop ${(copy.bytesPerSecond / 1e9).toFixed(2)} GB/s copied, median (best ${(copyBest / 1e9).toFixed(2)}) (${copy.bytes / 2 ** 20} MiB, ${copy.repetitions} runs)`);
  for (const [name, weightBytes, run] of cases) {
    const timing = timeCalls(() => tz.tidy(() => { run().dataSync(); }), { minSeconds: 1, minRepetitions: M > 1 ? 3 : 5, warmup: M > 1 ? 1 : 2 });
    const gbs = weightBytes / timing.median / 1e9;
    const best = weightBytes / timing.best / 1e9;
    console.log(
      `threads ${threads}: ${name.padEnd(8)} median ${(timing.median * 1e3).toFixed(3)} ms ${gbs.toFixed(2)} GB/s of weights (${((100 * gbs * 1e9) / copy.bytesPerSecond).toFixed(0)} % of copy); ` +
        `best ${(timing.best * 1e3).toFixed(3)} ms ${best.toFixed(2)} GB/s (${((100 * best * 1e9) / copyBest).toFixed(0)} % of the best copy); ` +
        `${((2 * M * K * N) / timing.best / 1e9).toFixed(1)} GFLOP/s (best)`,
    );
  }
}
process.exit(0);
