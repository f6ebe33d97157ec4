// y = gather(x, indices, axis): x [..outer, n, ..inner], y [..outer, ...indices.shape, ..inner].
// dx sums dy's rows into the rows they were taken from (a scatter-add), composed without a
// scatter kernel and without an [n, I] one-hot (n may be a 256k vocabulary):
//   the U distinct ids (read on the host) give onehot [U, I] (onehot[u, k] = indices_k == id_u);
//   onehot · dy [outer, I, inner] → sums [outer, U, inner];
//   a zero row is put first, and dx = gather(rows, slot, axis 1), slot[j] = 1 + (position of j
//   among the distinct ids), or 0 for rows never gathered.
// indices carry no gradient.
import { engine } from '../engine.js';
import { sizeOf } from '../shape.js';
import { zeros } from '../ops/creation.js';
import { cast, equal } from '../ops/elementwise.js';
import { matMul } from '../ops/mat-mul.js';
import { concat, gather, reshape } from '../ops/shape-ops.js';
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
      const distinct = [...new Set(indices!.dataSync() as Int32Array)].sort((a, b) => a - b);
      const slot = new Int32Array(rows);
      distinct.forEach((id, position) => (slot[id] = position + 1));
      const ids = engine.makeTensor(Int32Array.from(distinct), [distinct.length, 1], 'int32');
      const oneHot = cast(equal(ids, reshape(indices!, [1, count])), 'float32');
      const sums = matMul(oneHot, reshape(dy, [outer, count, inner]));
      const withZeroRow = concat([zeros([outer, 1, inner]), sums], 1);
      const scattered = gather(withZeroRow, engine.makeTensor(slot, [rows], 'int32'), 1);
      return reshape(scattered, x!.shape);
    },
  }),
};
