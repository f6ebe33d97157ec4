// y = a · b (broadcast) → da = dy · b, db = dy · a, each summed back to its own shape.
import { mul } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const mulGradient: GradientConfig = {
  kernelName: 'Mul',
  gradient: (dy, { inputs: { a, b } }) => ({ a: () => sumToShape(mul(dy, b!), a!.shape), b: () => sumToShape(mul(dy, a!), b!.shape) }),
};
