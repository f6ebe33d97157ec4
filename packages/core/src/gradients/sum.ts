// Sum kernel: x [outer, inner] → y [outer]; dx = dy broadcast along inner.
import { mul } from '../ops/elementwise.js';
import { ones } from '../ops/creation.js';
import { reshape } from '../ops/shape-ops.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const sumGradient: GradientConfig = {
  kernelName: 'Sum',
  gradient: (dy, { inputs: { x } }) => ({ x: () => mul(reshape(dy, [x!.shape[0]!, 1]), ones(x!.shape)) }),
};
