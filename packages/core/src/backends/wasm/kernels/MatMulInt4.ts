// a: float32 [M, K] × packed int4 weights (int8 bytes, two nibbles each) → float32 [M, outputs],
// layouts 'kernel' (W [G, K, N] as Keras packs it: packed [K, ceil(G·N/2)], scale/zero
// [ceil(K/blockSize), G·N]) and 'transposed' (W [N, K]: packed [N, ceil(K/2)], scale/zero
// [N, ceil(K/blockSize)]); blockSize −1 = per-channel scales, no zero (see kernel-names.ts).
// The weights stay packed in wasm memory (storageInputs): the GEMV (one per row up to 3 rows)
// unpacks them in registers, the GEMM dequantizes one K slice × 256 columns at a time into
// per-thread scratch.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Rows up to which the product runs as one GEMV per row. */
const GEMV_ROWS = 3;

export const matMulInt4Config: KernelConfig<WasmBackend> = {
  kernelName: 'MatMulInt4',
  backendName: 'wasm',
  storageInputs: ['packed', 'zero'],
  kernelFunc(args) {
    const backend = args.backend;
    const { a, packed, scale, zero } = args.inputs;
    expectDType('MatMulInt4', 'a', a!, ['float32']);
    expectDType('MatMulInt4', 'packed', packed!, ['int8']);
    expectDType('MatMulInt4', 'scale', scale!, ['float32']);
    if (zero) expectDType('MatMulInt4', 'zero', zero, ['int8']);
    const [M, K] = a!.shape as [number, number];
    const transposed = args.attrs.layout === 'transposed';
    const G = transposed ? 1 : (args.attrs.groups as number);
    const blockSize = args.attrs.blockSize as number;
    const outShape = args.outputShapes[0]!;
    const N = outShape[1]! / G;
    const out = allocateOutput(args, outShape, 'float32', 'MatMulInt4');
    if (M * G * N === 0) return out.info;
    if (K === 0) {
      backend.u8().fill(0, out.ptr, out.ptr + M * G * N * 4);
      return out.info;
    }
    const [scratch, stride] = backend.gemmScratch();
    const params = [
      ptrOf(args, 'a'), ptrOf(args, 'packed'), ptrOf(args, 'scale'), zero ? ptrOf(args, 'zero') : 0, out.ptr, M, N, K, G,
      transposed ? 1 : 0, blockSize,
    ];
    const groups = blockSize > 0 ? Math.ceil(K / blockSize) : 1;
    // The transposed GEMV keeps the groups' Σa and a reordered copy of a in the thread's scratch.
    const gemvFits = !transposed || (K + groups + 32) * 4 <= stride;
    if (M <= GEMV_ROWS && gemvFits) {
      // One GEMV per row: below ~4 rows, re-streaming the packed weights costs less than the GEMM's
      // per-call dequantization of every tile.
      const nBlocks = Math.ceil(N / Number(backend.exports.INT4_GEMV_NB.value));
      // Columns summed at once (kernel layout): float accumulators in the thread's scratch.
      const width = Math.floor(stride / 4 / 16) * 16;
      // Work units ≈ element operations: unpacking costs ~1 per weight. Fewer than 2^20 weights
      // stay on this thread (as BatchMatMul's GEMV floor; a threshold of 0 still uses the pool).
      const small = backend.minParallelWork > 0 && G * N * K < 1 << 20;
      const work = small ? 0 : G * N * K;
      for (let m = 0; m < M; m++) {
        const rowParams = [...params];
        rowParams[0] = params[0]! + m * K * 4;
        rowParams[4] = params[4]! + m * G * N * 4;
        backend.writeI32(backend.params, [...rowParams, 1, nBlocks, scratch, stride, 1, width]);
        backend.parallel('int4Gemv', [backend.params], G * nBlocks, work);
      }
    } else {
      const nBlocks = Math.ceil(N / Number(backend.exports.INT4_GEMM_NC.value));
      const work = (M * G * N * K) / 16;
      const threads = backend.threadsFor(work);
      const wantedTasks = threads > 1 ? 2 * threads : 1;
      const mBlocks = Math.min(Math.ceil(M / 4), Math.max(1, Math.ceil(wantedTasks / (G * nBlocks))));
      const MC = Math.ceil(M / mBlocks / 4) * 4;
      const rowBlocks = Math.ceil(M / MC);
      backend.writeI32(backend.params, [...params, rowBlocks, nBlocks, scratch, stride, MC, 0]);
      backend.parallel('int4Gemm', [backend.params], G * rowBlocks * nBlocks, work);
    }
    return out.info;
  },
};
