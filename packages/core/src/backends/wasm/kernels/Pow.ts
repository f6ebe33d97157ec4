import { binaryKernel } from './binary.js';

export const powConfig = binaryKernel('Pow');
