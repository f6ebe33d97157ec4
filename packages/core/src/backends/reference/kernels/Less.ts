import { binaryKernel } from './binary.js';

export const lessConfig = binaryKernel('Less', (a, b) => (a < b ? 1 : 0), true);
