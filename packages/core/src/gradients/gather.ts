// y = gather(x, indices, axis): x [..outer, n, ..inner], y [..outer, ...indices.shape, ..inner].
// dx sums dy rows into the rows they were taken from (a scatter-add), computed as a one-hot
// product with no scatter kernel: onehot [n, I] (onehot[j, k] = indices_k == j) · dy [outer, I, inner]
// → [outer, n, inner]. indices carry no gradient.
import { sizeOf } from '../shape.js';
import { arange } from '../ops/creation.js';
import { cast, equal } from '../ops/elementwise.js';
import { matMul } from '../ops/mat-mul.js';
import { reshape } from '../ops/shape-ops.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const gatherGradient: GradientConfig = {
  kernelName: 'Gather',
  gradient: (dy, { inputs: { x, indices }, attrs }) => ({
    x: () => {
      const axis = attrs.axis as number;
      const outer = sizeOf(x!.shape.slice(0, axis));
      const rows = x!.shape[axis]!;
      const inner = sizeOf(x!.shape.slice(axis + 1));
      const count = indices!.size;
      const oneHot = cast(equal(reshape(arange(0, rows, 1, 'int32'), [rows, 1]), reshape(indices!, [1, count])), 'float32');
      const scattered = matMul(oneHot, reshape(dy, [outer, count, inner]));
      return reshape(scattered, x!.shape);
    },
  }),
};
