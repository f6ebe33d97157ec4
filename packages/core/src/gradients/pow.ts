// y = aᵇ (broadcast) → da = dy · b · a^(b-1); db = dy · y · ln a where a > 0, else 0 (TensorFlow's
// convention: ln a is undefined there), each summed back to its own shape.
import { greater, log, mul, pow, sub, where } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const powGradient: GradientConfig = {
  kernelName: 'Pow',
  gradient: (dy, { inputs: { a, b }, output }) => ({
    a: () => sumToShape(mul(dy, mul(b!, pow(a!, sub(b!, 1)))), a!.shape),
    b: () => {
      const positive = greater(a!, 0);
      const safeLog = log(where(positive, a!, 1));
      return sumToShape(mul(dy, mul(output, where(positive, safeLog, 0))), b!.shape);
    },
  }),
};
