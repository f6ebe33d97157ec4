import { reduceKernel, stepSource } from './reduce.js';

// A NaN wins (as in Math.max); once total is NaN no comparison replaces it.
export const maxConfig = reduceKernel('Max', stepSource('if (value != value || value > total) {\n    total = value;\n  }'));
