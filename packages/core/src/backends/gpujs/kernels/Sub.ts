import { binaryKernel } from './binary.js';

export const subConfig = binaryKernel('Sub', 'return x - y;');
