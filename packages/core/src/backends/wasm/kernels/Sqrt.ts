import { unaryKernel } from './unary.js';

export const sqrtConfig = unaryKernel('Sqrt');
