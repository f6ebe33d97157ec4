// a: [...batchA, M, K] (or [..., K, M] with transposeA), b: [...batchB, K, N] (or [..., N, K] with
// transposeB) → [...broadcast batch, M, N]. b may be float32, bfloat16 or float16: half-precision
// weights are read as stored and widened in registers (storageInputs), never in memory.
// - M = 1: GEMV (assembly/gemv.ts), tasks = batch × 64-column blocks, memory-bandwidth bound; one
//   batch of W [K, N] on several threads splits K instead (whole rows per thread) and sums partials.
// - else GEMM (assembly/matmul.ts): packed B, 4x8 micro-kernel, tasks = batch × row blocks × 256-column blocks.
// - int32 × int32: the plain triple loop, one task per batch.
// transposeA is applied first with a strided copy into a temporary [.., M, K] buffer.
import { argumentError } from '../../../errors.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { broadcastOffsets, sizeOf } from '../../../shape.js';
import { allocateOutput, collapseLoop, ptrOf, weightKind, writeDescriptor } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

/** GEMVs below this many weights (4 MiB of float32) run on the calling thread. */
export const GEMV_MIN_PARALLEL_WEIGHTS = 1 << 20;

/** Writes per-batch [aOffset, bOffset] element offsets into a temporary buffer; returns its address. */
function batchOffsets(backend: WasmBackend, aBatch: Int32Array, bBatch: Int32Array, aStride: number, bStride: number): number {
  const ptr = backend.allocator.allocate(aBatch.length * 8, 'matmul batch offsets');
  const words = new Int32Array(aBatch.length * 2);
  for (let batch = 0; batch < aBatch.length; batch++) {
    words[2 * batch] = aBatch[batch]! * aStride;
    words[2 * batch + 1] = bBatch[batch]! * bStride;
  }
  backend.writeI32(ptr, words);
  return ptr;
}

/** A copy of a: [...batch, K, M] transposed to [...batch, M, K]; the caller frees it. */
function transposeLastTwo(backend: WasmBackend, a: number, batch: number, K: number, M: number): number {
  const ptr = backend.allocator.allocate(batch * M * K * 4, 'the transposed matmul operand');
  const loop = collapseLoop([batch, M, K], [[K * M, 1, M]]);
  const desc = writeDescriptor(backend, loop);
  backend.parallel('stridedCopy', [4, a, ptr, desc, loop.rank], loop.rows, batch * M * K);
  return ptr;
}

export const batchMatMulConfig: KernelConfig<WasmBackend> = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  storageInputs: ['b'],
  kernelFunc(args) {
    const backend = args.backend;
    const a = args.inputs.a!;
    const b = args.inputs.b!;
    const transposeA = args.attrs.transposeA as boolean;
    const transposeB = args.attrs.transposeB as boolean;
    const integer = a.dtype === 'int32';
    if (integer ? b.dtype !== 'int32' : a.dtype !== 'float32')
      argumentError('wasm BatchMatMul', integer ? 'b' : 'a', integer ? 'an int32 tensor (as a)' : 'a float32 or int32 tensor', integer ? b : a);
    if (!integer && !['float32', 'bfloat16', 'float16'].includes(b.dtype))
      argumentError('wasm BatchMatMul', 'b', 'a float32, bfloat16 or float16 tensor', b);
    const outShape = args.outputShapes[0]!;
    const M = outShape[outShape.length - 2]!;
    const N = outShape[outShape.length - 1]!;
    const K = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
    const batchShape = outShape.slice(0, -2);
    const batches = sizeOf(batchShape);
    const out = allocateOutput(args, outShape, a.dtype, 'BatchMatMul');
    if (batches * M * N === 0) return out.info;
    if (K === 0) {
      backend.u8().fill(0, out.ptr, out.ptr + batches * M * N * 4);
      return out.info;
    }
    const aBatch = broadcastOffsets(a.shape.slice(0, -2), batchShape);
    const bBatch = broadcastOffsets(b.shape.slice(0, -2), batchShape);
    let aPtr = ptrOf(args, 'a');
    const temporaries: number[] = [];
    try {
      if (transposeA && M > 1) {
        aPtr = transposeLastTwo(backend, aPtr, sizeOf(a.shape.slice(0, -2)), K, M);
        temporaries.push(aPtr);
      }
      const offsets = batchOffsets(backend, aBatch, bBatch, M * K, K * N);
      temporaries.push(offsets);
      const params = [aPtr, ptrOf(args, 'b'), out.ptr, M, N, K, weightKind(b.dtype), transposeB ? 1 : 0, offsets];
      if (integer) {
        // Work units: the scalar loop costs about one unit per multiply-add.
        backend.writeI32(backend.params, [...params, 0, 0, 0, 0, 0]);
        backend.parallel('gemmI32', [backend.params], batches, batches * M * N * K);
      } else if (M === 1) {
        // Work units ≈ element operations: GEMV streams ~4 weights per unit of time. A product of
        // fewer than GEMV_MIN_PARALLEL_WEIGHTS weights stays on this thread (work 0): it takes less
        // time than waking a worker and waiting for it (issue 15: decode on 2 threads was slower
        // than on 1). A parallel threshold of 0 (the tests) still sends every product to the pool.
        const small = backend.minParallelWork > 0 && batches * N * K < GEMV_MIN_PARALLEL_WEIGHTS;
        const work = small ? 0 : (batches * N * K) / 4;
        const threads = backend.threadsFor(work);
        if (!transposeB && batches === 1 && threads > 1 && K >= 8 * threads) {
          // One batch of W [K, N]: each thread takes whole rows of a K slice (faster streaming than
          // column slices), into y or a partial output; the partials are then added to y.
          const chunk = Math.ceil(K / threads / 4) * 4;
          const parts = Math.ceil(K / chunk);
          const partials = backend.allocator.allocate((parts - 1) * N * 4, 'GEMV partial outputs');
          temporaries.push(partials);
          backend.writeI32(backend.params, [...params, 1, 1, 0, 0, 0, chunk, partials]);
          backend.parallel('gemvSplitK', [backend.params], parts, work);
          backend.parallel('sumPartials', [out.ptr, partials, parts - 1, N], N, N * (parts - 1), 4);
        } else {
          const nBlocks = Math.ceil(N / Number(backend.exports.GEMV_NB.value));
          backend.writeI32(backend.params, [...params, 1, nBlocks, 0, 0, 0]);
          backend.parallel('gemv', [backend.params], batches * nBlocks, work);
        }
      } else {
        // Row blocks only as needed to give every thread two tasks (one block on one thread): each
        // task packs its B block once per K slice, so fewer, taller tasks pack less.
        const nBlocks = Math.ceil(N / Number(backend.exports.GEMM_NC.value));
        // Work units ≈ element operations: the micro-kernel does ~16 multiply-adds in the time of one.
        const work = (batches * M * N * K) / 16;
        const threads = backend.threadsFor(work);
        const wantedTasks = threads > 1 ? 2 * threads : 1;
        const mBlocks = Math.min(Math.ceil(M / 4), Math.max(1, Math.ceil(wantedTasks / (batches * nBlocks))));
        const MC = Math.ceil(M / mBlocks / 4) * 4;
        const [scratch, stride] = backend.gemmScratch();
        backend.writeI32(backend.params, [...params, Math.ceil(M / MC), nBlocks, scratch, stride, MC]);
        backend.parallel('gemm', [backend.params], batches * Math.ceil(M / MC) * nBlocks, work);
      }
    } finally {
      for (const ptr of temporaries) backend.allocator.free(ptr);
    }
    return out.info;
  },
};
