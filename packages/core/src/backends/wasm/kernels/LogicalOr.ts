import { binaryKernel } from './binary.js';

export const logicalOrConfig = binaryKernel('LogicalOr');
