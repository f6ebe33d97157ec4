import { unaryKernel } from './unary.js';

export const expConfig = unaryKernel('Exp');
