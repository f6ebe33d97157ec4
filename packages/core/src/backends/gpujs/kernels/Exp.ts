import { unaryKernel } from './unary.js';

export const expConfig = unaryKernel('Exp', 'return Math.exp(x);');
