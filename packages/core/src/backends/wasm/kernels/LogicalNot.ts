// bool → bool: x == 0.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const logicalNotConfig: KernelConfig<WasmBackend> = {
  kernelName: 'LogicalNot',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('LogicalNot', 'x', x, ['bool']);
    const out = allocateOutput(args, x.shape, 'bool', 'LogicalNot');
    const size = x.shape.reduce((a, b) => a * b, 1);
    args.backend.parallel('logicalNotU8', [ptrOf(args, 'x'), out.ptr], size, size);
    return out.info;
  },
};
