import { binaryKernel } from './binary.js';

export const logicalAndConfig = binaryKernel('LogicalAnd');
