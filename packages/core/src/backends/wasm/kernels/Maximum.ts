import { binaryKernel } from './binary.js';

export const maximumConfig = binaryKernel('Maximum');
