// y = condition ? a : b (broadcast) → da = dy where condition, db = dy elsewhere; condition has none.
import { where } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const whereGradient: GradientConfig = {
  kernelName: 'Where',
  gradient: (dy, { inputs: { condition, a, b } }) => ({
    a: () => sumToShape(where(condition!, dy, 0), a!.shape),
    b: () => sumToShape(where(condition!, 0, dy), b!.shape),
  }),
};
