// Max kernel: x [outer, inner] → y [outer]; dy goes to every entry equal to its row's maximum
// (TensorFlow's convention for ties).
import { cast, equal, mul } from '../ops/elementwise.js';
import { reshape } from '../ops/shape-ops.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const maxGradient: GradientConfig = {
  kernelName: 'Max',
  gradient: (dy, { inputs: { x }, output }) => ({
    x: () => mul(reshape(dy, [x!.shape[0]!, 1]), cast(equal(x!, reshape(output, [x!.shape[0]!, 1])), 'float32')),
  }),
};
