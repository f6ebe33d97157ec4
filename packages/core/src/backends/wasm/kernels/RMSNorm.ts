// Fused RMS norm: x [..., D], scale [D] → x · rsqrt(mean(x²) + epsilon) · (1 + scale).
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const rmsNormConfig: KernelConfig<WasmBackend> = {
  kernelName: 'RMSNorm',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('RMSNorm', 'x', x, ['float32']);
    expectDType('RMSNorm', 'scale', args.inputs.scale!, ['float32']);
    const out = allocateOutput(args, x.shape, 'float32', 'RMSNorm');
    const depth = x.shape[x.shape.length - 1]!;
    const size = sizeOf(x.shape);
    if (size === 0) return out.info;
    args.backend.parallel('rmsNorm', [ptrOf(args, 'x'), ptrOf(args, 'scale'), out.ptr, depth, args.attrs.epsilon as number], size / depth, size * 2);
    return out.info;
  },
};
