import { binaryKernel } from './binary.js';

export const logicalAndConfig = binaryKernel('LogicalAnd', 'return x != 0.0 && y != 0.0 ? 1.0 : 0.0;', { producesBool: true, deviceDTypes: ['bool'] });
