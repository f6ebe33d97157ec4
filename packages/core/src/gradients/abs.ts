// y = |x| → dx = dy · sign(x) (0 at x = 0, as TensorFlow).
import { cast, greater, less, mul, sub } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const absGradient: GradientConfig = {
  kernelName: 'Abs',
  gradient: (dy, { inputs: { x } }) => ({
    x: () => mul(dy, sub(cast(greater(x!, 0), 'float32'), cast(less(x!, 0), 'float32'))),
  }),
};
