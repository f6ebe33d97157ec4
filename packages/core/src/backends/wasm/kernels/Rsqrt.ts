import { unaryKernel } from './unary.js';

export const rsqrtConfig = unaryKernel('Rsqrt');
