import { unaryKernel } from './unary.js';

export const rsqrtConfig = unaryKernel('Rsqrt', (value) => 1 / Math.sqrt(value));
