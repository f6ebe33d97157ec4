import { binaryKernel } from './binary.js';

// Shader min() may drop a NaN operand; Math.min propagates it, so NaN is passed through first.
export const minimumConfig = binaryKernel('Minimum', 'if (x != x) {\n  return x;\n}\nif (y != y) {\n  return y;\n}\nreturn Math.min(x, y);');
