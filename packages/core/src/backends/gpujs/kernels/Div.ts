import { binaryKernel } from './binary.js';

export const divConfig = binaryKernel('Div', 'return x / y;');
