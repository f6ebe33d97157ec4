import { unaryKernel } from './unary.js';

export const sqrtConfig = unaryKernel('Sqrt', 'return Math.sqrt(x);');
