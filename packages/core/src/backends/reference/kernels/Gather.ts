// x: [...before, n, ...after], indices (int32) → [...before, ...indices.shape, ...after].
// Out-of-range ids are an error naming the id and the range (negative ids count from the end).
// x is read as stored (storageInputs): rows of a bfloat16/float16/int8 table keep its dtype.
import { TensorzooError } from '../../../errors.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const gatherConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Gather',
  backendName: 'reference',
  storageInputs: ['x'],
  kernelFunc(args) {
    const x = args.inputs.x!;
    const axis = args.attrs.axis as number;
    const values = valuesOf(args, 'x');
    const indices = valuesOf(args, 'indices');
    const outShape = args.outputShapes[0]!;
    const outer = sizeOf(x.shape.slice(0, axis));
    const count = x.shape[axis]!;
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = allocateOutput(outShape, x.dtype);
    let position = 0;
    for (let row = 0; row < outer; row++)
      for (let item = 0; item < indices.length; item++) {
        let id = indices[item]!;
        if (id < -count || id >= count)
          throw new TensorzooError(`gather: argument 'indices' expected ids in [${-count}, ${count - 1}] (axis ${axis} of size ${count}), received ${id} at position ${item}`);
        if (id < 0) id += count;
        const start = (row * count + id) * inner;
        out.set(values.subarray(start, start + inner) as never, position);
        position += inner;
      }
    return output(args, out, outShape, x.dtype);
  },
};
