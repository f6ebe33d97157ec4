// inputs x0, x1, … (same rank, equal except along attrs.axis) → concatenated along axis.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, output } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const concatConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Concat',
  backendName: 'reference',
  kernelFunc(args) {
    const axis = args.attrs.axis as number;
    const outShape = args.outputShapes[0]!;
    const parts = Object.keys(args.inputs)
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
      .map((name) => args.inputs[name]!);
    const dtype = parts[0]!.dtype;
    const out = allocateOutput(outShape, dtype);
    const outer = sizeOf(outShape.slice(0, axis));
    const outRow = sizeOf(outShape.slice(axis));
    let columnOffset = 0;
    for (const part of parts) {
      const values = args.backend.values(part.dataId);
      const partRow = sizeOf(part.shape.slice(axis));
      for (let row = 0; row < outer; row++)
        out.set(values.subarray(row * partRow, row * partRow + partRow) as never, row * outRow + columnOffset);
      columnOffset += partRow;
    }
    return output(args, out, outShape, dtype);
  },
};
