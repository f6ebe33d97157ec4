// Fused softmax over the last axis, with an optional bool mask of x's shape: masked entries are 0,
// a fully masked row is all zeros (the composition in ops/activations.ts is its naive twin).
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const softmaxConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Softmax',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('Softmax', 'x', x, ['float32']);
    if (args.inputs.mask) expectDType('Softmax', 'mask', args.inputs.mask, ['bool']);
    const out = allocateOutput(args, x.shape, 'float32', 'Softmax');
    const n = x.shape[x.shape.length - 1] ?? 1;
    const size = sizeOf(x.shape);
    if (size === 0) return out.info;
    const mask = args.inputs.mask ? ptrOf(args, 'mask') : 0;
    args.backend.parallel('softmax', [ptrOf(args, 'x'), mask, out.ptr, n], size / n, size * 8);
    return out.info;
  },
};
