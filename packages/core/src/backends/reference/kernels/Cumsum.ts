// Running sum along attrs.axis; `exclusive` shifts by one, `reverse` runs from the end.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const cumsumConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Cumsum',
  backendName: 'reference',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const axis = args.attrs.axis as number;
    const exclusive = args.attrs.exclusive as boolean;
    const reverse = args.attrs.reverse as boolean;
    const values = valuesOf(args, 'x');
    const dtype = x.dtype === 'bool' ? 'int32' : x.dtype;
    const out = allocateOutput(x.shape, dtype);
    const outer = sizeOf(x.shape.slice(0, axis));
    const count = x.shape[axis]!;
    const inner = sizeOf(x.shape.slice(axis + 1));
    for (let row = 0; row < outer; row++)
      for (let column = 0; column < inner; column++) {
        let total = 0;
        for (let step = 0; step < count; step++) {
          const position = reverse ? count - 1 - step : step;
          const index = (row * count + position) * inner + column;
          if (exclusive) {
            out[index] = total;
            total += values[index]!;
          } else {
            total += values[index]!;
            out[index] = total;
          }
        }
      }
    return output(args, out, x.shape, dtype);
  },
};
