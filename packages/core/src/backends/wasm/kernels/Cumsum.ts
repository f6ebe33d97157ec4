// Running sum along attrs.axis (exclusive / reverse); float32 accumulates in f64 as the reference.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const cumsumConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Cumsum',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('Cumsum', 'x', x, ['float32', 'int32', 'bool']);
    const axis = args.attrs.axis as number;
    const dtype = x.dtype === 'float32' ? 'float32' : 'int32';
    const out = allocateOutput(args, x.shape, dtype, 'Cumsum');
    const kind = x.dtype === 'float32' ? 0 : x.dtype === 'int32' ? 1 : 2;
    args.backend.exports.cumsum(
      kind, ptrOf(args, 'x'), out.ptr, sizeOf(x.shape.slice(0, axis)), x.shape[axis]!, sizeOf(x.shape.slice(axis + 1)),
      args.attrs.exclusive ? 1 : 0, args.attrs.reverse ? 1 : 0,
    );
    return out.info;
  },
};
