import { binaryKernel } from './binary.js';

export const maximumConfig = binaryKernel('Maximum', 'return Math.max(x, y);');
