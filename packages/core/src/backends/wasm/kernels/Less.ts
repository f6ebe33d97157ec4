import { binaryKernel } from './binary.js';

export const lessConfig = binaryKernel('Less');
