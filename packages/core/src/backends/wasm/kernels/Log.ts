import { unaryKernel } from './unary.js';

export const logConfig = unaryKernel('Log');
