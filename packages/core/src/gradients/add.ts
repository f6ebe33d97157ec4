// y = a + b (broadcast) → da = dy, db = dy, each summed back to its own shape.
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const addGradient: GradientConfig = {
  kernelName: 'Add',
  gradient: (dy, { inputs: { a, b } }) => ({ a: () => sumToShape(dy, a!.shape), b: () => sumToShape(dy, b!.shape) }),
};
