import { unaryKernel } from './unary.js';

export const absConfig = unaryKernel('Abs', 'return Math.abs(x);');
