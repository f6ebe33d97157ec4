import { unaryKernel } from './unary.js';

export const erfConfig = unaryKernel('Erf');
