import { reduceKernel, stepSource } from './reduce.js';

// A NaN wins (as in Math.min); once total is NaN no comparison replaces it.
export const minConfig = reduceKernel('Min', stepSource('if (value != value || value < total) {\n    total = value;\n  }'));
