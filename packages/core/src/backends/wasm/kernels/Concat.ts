// inputs x0, x1, … (same rank, equal but along attrs.axis) → one tensor: each part's rows are
// copied to their column offset in the output rows.
import { bytesPerElement } from '../../../dtype.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const concatConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Concat',
  backendName: 'wasm',
  kernelFunc(args) {
    const axis = args.attrs.axis as number;
    const outShape = args.outputShapes[0]!;
    const parts = Object.keys(args.inputs)
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
      .map((name) => args.inputs[name]!);
    const dtype = parts[0]!.dtype;
    const elementSize = bytesPerElement(dtype);
    const out = allocateOutput(args, outShape, dtype, 'Concat');
    const outer = sizeOf(outShape.slice(0, axis));
    const outRowBytes = sizeOf(outShape.slice(axis)) * elementSize;
    let columnBytes = 0;
    for (const part of parts) {
      const rowBytes = sizeOf(part.shape.slice(axis)) * elementSize;
      if (rowBytes > 0)
        args.backend.parallel('copyRows', [args.backend.ptr(part.dataId), out.ptr, rowBytes, outRowBytes, columnBytes], outer, outer * rowBytes / 4);
      columnBytes += rowBytes;
    }
    return out.info;
  },
};
