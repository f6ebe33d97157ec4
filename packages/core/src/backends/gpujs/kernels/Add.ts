import { binaryKernel } from './binary.js';

export const addConfig = binaryKernel('Add', 'return x + y;');
