import { unaryKernel } from './unary.js';

export const logConfig = unaryKernel('Log', 'return Math.log(x);');
