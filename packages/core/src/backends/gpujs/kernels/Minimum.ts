import { binaryKernel } from './binary.js';

export const minimumConfig = binaryKernel('Minimum', 'return Math.min(x, y);');
