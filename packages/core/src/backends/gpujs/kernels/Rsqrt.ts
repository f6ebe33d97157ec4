import { unaryKernel } from './unary.js';

export const rsqrtConfig = unaryKernel('Rsqrt', 'return 1.0 / Math.sqrt(x);');
