import { binaryKernel } from './binary.js';

export const logicalOrConfig = binaryKernel('LogicalOr', (a, b) => (a || b ? 1 : 0), true);
