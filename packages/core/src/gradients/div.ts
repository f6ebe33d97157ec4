// y = a / b (broadcast) → da = dy / b, db = -dy · a / b², each summed back to its own shape.
import { div, mul, neg } from '../ops/elementwise.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const divGradient: GradientConfig = {
  kernelName: 'Div',
  gradient: (dy, { inputs: { a, b } }) => ({
    a: () => sumToShape(div(dy, b!), a!.shape),
    b: () => sumToShape(neg(div(mul(dy, a!), mul(b!, b!))), b!.shape),
  }),
};
