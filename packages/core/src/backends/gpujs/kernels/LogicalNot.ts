import { unaryKernel } from './unary.js';

export const logicalNotConfig = unaryKernel('LogicalNot', 'return x == 0.0 ? 1.0 : 0.0;', ['bool']);
