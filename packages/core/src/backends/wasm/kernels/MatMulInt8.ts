// a: int8 [M, K], aScale: float32 [M], b: int8 [G, K, N] memory order (or [N, K] with transposeB,
// G = 1), bScale: float32 [G·N] → float32 [M, G·N]:
//   out[m, g·N + n] = f32(Σ_k a[m,k]·b[g,k,n]) / f32(aScale[m] · bScale[g·N + n])
// a and b are read as stored (storageInputs): the weights stay int8 in wasm memory.
// - M = 1, or M ≤ 8 with b [G, K, N]: one GEMV per row (assembly/int8.ts), tasks = G × 64-column blocks; G = 1 with b [K, N]
//   on several threads splits K instead (whole rows per thread, int32 partials summed exactly).
// - else GEMM: tasks = G × row blocks × 64-column blocks, b [K, N] transposed per K slice into
//   per-thread scratch (never a full copy).
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

/** The GEMV of one row (M = 1) with its parameter block's first ten slots in `params`. */
function gemv(backend: WasmBackend, params: number[], shape: { G: number; N: number; K: number; transposeB: boolean; scratch: number; stride: number }): void {
  const { G, N, K, transposeB, scratch, stride } = shape;
  // Work units ≈ element operations: the GEMV streams ~8 weights per unit of time. Fewer than
  // 2^22 int8 weights (about as long as BatchMatMul's 2^20 float32 floor) stay on this thread:
  // waking a worker costs more (a parallel threshold of 0, as in the tests, still uses the pool).
  const small = backend.minParallelWork > 0 && G * N * K < 1 << 22;
  const work = small ? 0 : (G * N * K) / 8;
  const threads = backend.threadsFor(work);
  if (!transposeB && G === 1 && threads > 1 && K >= 8 * threads) {
    const chunk = Math.ceil(K / threads / 4) * 4;
    const parts = Math.ceil(K / chunk);
    const partials = backend.allocator.allocate(Math.max(1, parts - 1) * N * 4, 'int8 GEMV partial sums');
    try {
      backend.writeI32(backend.params, [...params, 0, 0, scratch, stride, 0, chunk, partials]);
      backend.parallel('int8GemvSplitK', [backend.params], parts, work);
      backend.parallel('int8SumRescale', [backend.params, parts - 1], N, N * parts, 4);
    } finally {
      backend.allocator.free(partials);
    }
  } else {
    const nBlocks = Math.ceil(N / Number(backend.exports.INT8_GEMV_NB.value));
    backend.writeI32(backend.params, [...params, 1, nBlocks, scratch, stride, 1, 0, 0]);
    backend.parallel('int8Gemv', [backend.params], G * nBlocks, work);
  }
}

/** Rows up to which the product runs as one GEMV per row. */
const GEMV_ROWS = 8;

export const matMulInt8Config: KernelConfig<WasmBackend> = {
  kernelName: 'MatMulInt8',
  backendName: 'wasm',
  storageInputs: ['a', 'b'],
  kernelFunc(args) {
    const backend = args.backend;
    const { a, aScale, b, bScale } = args.inputs as Required<typeof args.inputs>;
    expectDType('MatMulInt8', 'a', a!, ['int8']);
    expectDType('MatMulInt8', 'b', b!, ['int8']);
    expectDType('MatMulInt8', 'aScale', aScale!, ['float32']);
    expectDType('MatMulInt8', 'bScale', bScale!, ['float32']);
    const [M, K] = a!.shape as [number, number];
    const transposeB = args.attrs.transposeB as boolean;
    const G = args.attrs.groups as number;
    const outShape = args.outputShapes[0]!;
    const N = outShape[1]! / G;
    const out = allocateOutput(args, outShape, 'float32', 'MatMulInt8');
    if (M * G * N === 0) return out.info;
    const params = [ptrOf(args, 'a'), ptrOf(args, 'aScale'), ptrOf(args, 'b'), ptrOf(args, 'bScale'), out.ptr, M, N, K, G, transposeB ? 1 : 0];
    const [scratch, stride] = backend.gemmScratch();
    // A few rows of a [G, K, N] b: one GEMV per row (the GEMM's per-call transposition of b costs
    // more than re-streaming b up to about eight times). A transposed b needs no transposition.
    if (M === 1 || (!transposeB && M <= GEMV_ROWS)) {
      for (let m = 0; m < M; m++) {
        const rowParams = [...params];
        rowParams[0] = params[0]! + m * K;
        rowParams[1] = params[1]! + m * 4;
        rowParams[4] = params[4]! + m * G * N * 4;
        gemv(backend, rowParams, { G, N, K, transposeB, scratch, stride });
      }
    } else {
      const nBlocks = Math.ceil(N / Number(backend.exports.INT8_GEMM_NC.value));
      // The micro-kernel does ~32 multiply-adds in the time of one element operation.
      const work = (M * G * N * K) / 32;
      const threads = backend.threadsFor(work);
      const wantedTasks = threads > 1 ? 2 * threads : 1;
      const mBlocks = Math.min(Math.ceil(M / 4), Math.max(1, Math.ceil(wantedTasks / (G * nBlocks))));
      const MC = Math.ceil(M / mBlocks / 4) * 4;
      const rowBlocks = Math.ceil(M / MC);
      backend.writeI32(backend.params, [...params, rowBlocks, nBlocks, scratch, stride, MC, 0, 0]);
      backend.parallel('int8Gemm', [backend.params], G * rowBlocks * nBlocks, work);
    }
    return out.info;
  },
};
