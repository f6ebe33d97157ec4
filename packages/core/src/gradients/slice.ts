// y = x[begin : begin + size] → dx = dy placed at `begin` in zeros of x's shape, built axis by
// axis as concat([zeros before, dy, zeros after]) (there is no pad kernel).
import { zeros } from '../ops/creation.js';
import { concat } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const sliceGradient: GradientConfig = {
  kernelName: 'Slice',
  gradient: (dy, { inputs: { x }, attrs }) => ({
    x: () => {
      const begin = attrs.begin as number[];
      const size = attrs.size as number[];
      let padded: Tensor = dy;
      for (let axis = 0; axis < x!.rank; axis++) {
        const before = begin[axis]!;
        const after = x!.shape[axis]! - before - size[axis]!;
        if (before === 0 && after === 0) continue;
        const part = (length: number) => zeros(padded.shape.map((dimension, at) => (at === axis ? length : dimension)));
        padded = concat([...(before > 0 ? [part(before)] : []), padded, ...(after > 0 ? [part(after)] : [])], axis);
      }
      return padded;
    },
  }),
};
