// x → x[begin : begin + size] along every axis: a strided copy starting at the first element.
import { bytesPerElement } from '../../../dtype.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { allocateOutput, collapseLoop, ptrOf, writeDescriptor } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const sliceConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const begin = args.attrs.begin as number[];
    const size = args.attrs.size as number[];
    const out = allocateOutput(args, size, x.dtype, 'Slice');
    const count = sizeOf(size);
    if (count === 0) return out.info;
    const strides = stridesOf(x.shape);
    const elementSize = bytesPerElement(x.dtype);
    const start = ptrOf(args, 'x') + begin.reduce((total, offset, axis) => total + offset * strides[axis]!, 0) * elementSize;
    const loop = collapseLoop(size, [strides]);
    const desc = writeDescriptor(args.backend, loop);
    args.backend.parallel('stridedCopy', [elementSize, start, out.ptr, desc, loop.rank], loop.rows, count);
    return out.info;
  },
};
