import { binaryKernel } from './binary.js';

export const equalConfig = binaryKernel('Equal', (a, b) => (a === b ? 1 : 0), true);
