import { unaryKernel } from './unary.js';

export const tanhConfig = unaryKernel('Tanh');
