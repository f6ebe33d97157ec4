import { binaryKernel } from './binary.js';

export const greaterConfig = binaryKernel('Greater');
