// x → x[begin[0]:begin[0]+size[0], …]. begin/size already validated and fully specified.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const sliceConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Slice',
  backendName: 'reference',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const begin = args.attrs.begin as number[];
    const size = args.attrs.size as number[];
    const values = valuesOf(args, 'x');
    const strides = stridesOf(x.shape);
    const out = allocateOutput(size, x.dtype);
    const rank = size.length;
    const counter = new Array<number>(rank).fill(0);
    let offset = begin.reduce((total, start, axis) => total + start * strides[axis]!, 0);
    for (let index = 0; index < sizeOf(size); index++) {
      out[index] = values[offset]!;
      for (let axis = rank - 1; axis >= 0; axis--) {
        counter[axis]!++;
        offset += strides[axis]!;
        if (counter[axis]! < size[axis]!) break;
        offset -= strides[axis]! * counter[axis]!;
        counter[axis] = 0;
      }
    }
    return output(args, out, size, x.dtype);
  },
};
