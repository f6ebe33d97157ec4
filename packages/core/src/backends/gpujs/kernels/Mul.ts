import { binaryKernel } from './binary.js';

export const mulConfig = binaryKernel('Mul', 'return x * y;');
