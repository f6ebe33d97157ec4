// Run by backend.test.ts as `node --experimental-wasm-relaxed-simd relaxed-check.mjs <wasm dir>`:
// Node 20 validates the relaxed-SIMD build only behind that flag. Loads the relaxed module over a
// shared memory, runs the GEMM and GEMV tasks on random data and prints the worst relative error
// against a float64 triple loop as JSON.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const bytes = readFileSync(join(dir, 'tensorzoo-relaxed-threads.wasm'));
const valid = WebAssembly.validate(bytes);
if (!valid) {
  console.log(JSON.stringify({ valid }));
  process.exit(0);
}
const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, abort() { throw new Error('abort'); } } });
let seed = 7;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
let top = 1 << 16;
const alloc = (bytes) => ((top += Math.ceil(bytes / 64) * 64), top - Math.ceil(bytes / 64) * 64);
let worst = 0;
for (const [M, K, N] of [[1, 300, 70], [5, 9, 17], [130, 257, 260]]) {
  const a = alloc(M * K * 4), b = alloc(K * N * 4), c = alloc(M * N * 4), p = alloc(64), offsets = alloc(8);
  const scratch = alloc(exports.GEMM_SCRATCH_BYTES.value);
  const f32 = new Float32Array(memory.buffer);
  for (let i = 0; i < M * K; i++) f32[a / 4 + i] = random();
  for (let i = 0; i < K * N; i++) f32[b / 4 + i] = random();
  const gemv = M === 1;
  const mBlocks = 1;
  const rowsPerTask = Math.ceil(M / 4) * 4;
  const nBlocks = Math.ceil(N / (gemv ? exports.GEMV_NB.value : exports.GEMM_NC.value));
  new Int32Array(memory.buffer).set([a, b, c, M, N, K, 0, 0, offsets, mBlocks, nBlocks, scratch, 0, rowsPerTask], p / 4);
  (gemv ? exports.gemv : exports.gemm)(p, 0, gemv ? nBlocks : mBlocks * nBlocks, 0);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let total = 0;
      let scale = 0;
      for (let k = 0; k < K; k++) {
        total += f32[a / 4 + i * K + k] * f32[b / 4 + k * N + j];
        scale += Math.abs(f32[a / 4 + i * K + k] * f32[b / 4 + k * N + j]);
      }
      worst = Math.max(worst, Math.abs(f32[c / 4 + i * N + j] - total) / scale);
    }
}
console.log(JSON.stringify({ valid, worst }));
