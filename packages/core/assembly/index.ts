// The tensorzoo wasm kernel module. Every export works on raw pointers into the one shared
// memory (allocated by the TypeScript side's arena), holds no state and allocates nothing, so
// any number of instances (one per thread) can run over the same memory. Exports that end in
// (start, end, thread) are thread-pool tasks: the pool splits [0, count) into ranges.
export { unaryF32, unaryI32, logicalNotU8 } from './unary';
export { binaryF32Flat, binaryF32Strided, binaryI32Strided, binaryU8Strided, whereStrided } from './binary';
export { stridedCopy, copyRows, gather, copyVectors } from './strided';
export { reduceF32, reduceI32, reduceU8 } from './reduce';
export { cumsum, topK } from './scan';
export { softmax, rmsNorm, rope } from './fused';
export { attention, ATTENTION_BLOCK } from './attention';
export { cast } from './cast';
export { gemm, gemmI32, GEMM_SCRATCH_BYTES, GEMM_NC } from './matmul';
export { gemv, gemvSplitK, sumPartials, GEMV_NB } from './gemv';
export { int8Gemv, int8GemvSplitK, int8SumRescale, int8Gemm, INT8_GEMV_NB, INT8_GEMM_NC } from './int8';
export { int4Gemv, int4Gemm, INT4_GEMV_NB, INT4_GEMM_NC } from './int4';
export { absMaxQuantize, unpackInt4 } from './quantize';

/** End of the module's static data; the TypeScript arena starts above it. */
export const HEAP_BASE: usize = __heap_base;
