import { binaryKernel } from './binary.js';

export const equalConfig = binaryKernel('Equal');
