import { unaryKernel } from './unary.js';

export const negConfig = unaryKernel('Neg', 'return -x;');
