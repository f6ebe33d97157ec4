import { binaryKernel } from './binary.js';

export const logicalAndConfig = binaryKernel('LogicalAnd', (a, b) => (a && b ? 1 : 0), true);
