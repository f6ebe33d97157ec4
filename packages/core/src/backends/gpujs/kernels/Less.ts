import { binaryKernel } from './binary.js';

export const lessConfig = binaryKernel('Less', 'return x < y ? 1.0 : 0.0;', { producesBool: true, deviceDTypes: ['float32', 'bool'] });
