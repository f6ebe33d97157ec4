import { binaryKernel } from './binary.js';

export const equalConfig = binaryKernel('Equal', 'return x == y ? 1.0 : 0.0;', { producesBool: true, deviceDTypes: ['float32', 'bool'] });
