import { binaryKernel } from './binary.js';

export const greaterConfig = binaryKernel('Greater', (a, b) => (a > b ? 1 : 0), true);
