import { binaryKernel } from './binary.js';

export const maximumConfig = binaryKernel('Maximum', (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)));
