// Reshape (an engine view, not a kernel): dx = dy viewed in x's shape.
import { reshape } from '../ops/shape-ops.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const reshapeGradient: GradientConfig = {
  kernelName: 'Reshape',
  gradient: (dy, { inputs: { x } }) => ({ x: () => reshape(dy, x!.shape) }),
};
