// x → x permuted by attrs.perm: a strided copy whose loop reads x with permuted strides.
import { bytesPerElement } from '../../../dtype.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { allocateOutput, collapseLoop, ptrOf, writeDescriptor } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const transposeConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Transpose',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const perm = args.attrs.perm as number[];
    const outShape = args.outputShapes[0]!;
    const out = allocateOutput(args, outShape, x.dtype, 'Transpose');
    const size = sizeOf(outShape);
    if (size === 0) return out.info;
    const inStrides = stridesOf(x.shape);
    const loop = collapseLoop(outShape, [perm.map((axis) => inStrides[axis]!)]);
    const desc = writeDescriptor(args.backend, loop);
    args.backend.parallel('stridedCopy', [bytesPerElement(x.dtype), ptrOf(args, 'x'), out.ptr, desc, loop.rank], loop.rows, size);
    return out.info;
  },
};
