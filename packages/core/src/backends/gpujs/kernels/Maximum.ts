import { binaryKernel } from './binary.js';

// Shader max() may drop a NaN operand; Math.max propagates it, so NaN is passed through first.
export const maximumConfig = binaryKernel('Maximum', 'if (x != x) {\n  return x;\n}\nif (y != y) {\n  return y;\n}\nreturn Math.max(x, y);');
