// y = a - b (broadcast) → da = dy, db = -dy, each summed back to its own shape.
import { neg } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const subGradient: GradientConfig = {
  kernelName: 'Sub',
  gradient: (dy, { inputs: { a, b } }) => ({ a: () => sumToShape(dy, a!.shape), b: () => sumToShape(neg(dy), b!.shape) }),
};
