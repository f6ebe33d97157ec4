// x → x permuted by attrs.perm: out.shape[i] = x.shape[perm[i]].
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const transposeConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Transpose',
  backendName: 'reference',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const perm = args.attrs.perm as number[];
    const outShape = args.outputShapes[0]!;
    const values = valuesOf(args, 'x');
    const inStrides = stridesOf(x.shape);
    const permutedStrides = perm.map((axis) => inStrides[axis]!);
    const out = allocateOutput(outShape, x.dtype);
    const rank = outShape.length;
    const counter = new Array<number>(rank).fill(0);
    let offset = 0;
    for (let index = 0; index < sizeOf(outShape); index++) {
      out[index] = values[offset]!;
      for (let axis = rank - 1; axis >= 0; axis--) {
        counter[axis]!++;
        offset += permutedStrides[axis]!;
        if (counter[axis]! < outShape[axis]!) break;
        offset -= permutedStrides[axis]! * counter[axis]!;
        counter[axis] = 0;
      }
    }
    return output(args, out, outShape, x.dtype);
  },
};
