// Fused Softmax over the last axis (mask optional): dx = y · (dy - Σ dy·y). Masked entries have
// y = 0, so they get exactly 0, and so does a fully masked row. The mask carries no gradient.
import { mul, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reductions.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const softmaxGradient: GradientConfig = {
  kernelName: 'Softmax',
  gradient: (dy, { output }) => ({ x: () => mul(output, sub(dy, sum(mul(dy, output), -1, true))) }),
};
