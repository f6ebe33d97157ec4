import { unaryKernel } from './unary.js';

export const logicalNotConfig = unaryKernel('LogicalNot', (value) => (value ? 0 : 1));
