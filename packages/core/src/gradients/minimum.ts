// y = min(a, b) (broadcast) → dy goes to a where a ≤ b (ties to a) and to b elsewhere.
import { lessEqual, where } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const minimumGradient: GradientConfig = {
  kernelName: 'Minimum',
  gradient: (dy, { inputs: { a, b } }) => ({
    a: () => sumToShape(where(lessEqual(a!, b!), dy, 0), a!.shape),
    b: () => sumToShape(where(lessEqual(a!, b!), 0, dy), b!.shape),
  }),
};
