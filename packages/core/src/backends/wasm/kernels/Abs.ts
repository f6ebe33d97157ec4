import { unaryKernel } from './unary.js';

export const absConfig = unaryKernel('Abs');
