// y = max(a, b) (broadcast) → dy goes to a where a ≥ b (ties to a, as TensorFlow) and to b elsewhere.
import { greaterEqual, where } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const maximumGradient: GradientConfig = {
  kernelName: 'Maximum',
  gradient: (dy, { inputs: { a, b } }) => ({
    a: () => sumToShape(where(greaterEqual(a!, b!), dy, 0), a!.shape),
    b: () => sumToShape(where(greaterEqual(a!, b!), 0, dy), b!.shape),
  }),
};
