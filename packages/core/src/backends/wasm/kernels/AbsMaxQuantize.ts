// Fused Keras abs_max_quantize over the last axis: x float32 [outer, D] → quantized int8
// [outer, D] and scale float32 [outer, 1]: scale = f32(high / f32(max|x| + epsilon)),
// q = clip(round half to even(f32(x · scale)), low, high) (assembly/quantize.ts; the composed op
// in src/ops/quantization.ts is its naive twin). Rows split across threads.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const absMaxQuantizeConfig: KernelConfig<WasmBackend> = {
  kernelName: 'AbsMaxQuantize',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('AbsMaxQuantize', 'x', x, ['float32']);
    const [outer, D] = x.shape as [number, number];
    const epsilon = args.attrs.epsilon as number;
    const [low, high] = args.attrs.valueRange as [number, number];
    const quantized = allocateOutput(args, [outer, D], 'int8', 'AbsMaxQuantize');
    const scale = allocateOutput(args, [outer, 1], 'float32', 'AbsMaxQuantize');
    args.backend.parallel('absMaxQuantize', [ptrOf(args, 'x'), quantized.ptr, scale.ptr, D, Math.fround(epsilon), low, high], outer, outer * D * 2);
    return [quantized.info, scale.info];
  },
};
