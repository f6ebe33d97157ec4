import { binaryKernel } from './binary.js';

export const minimumConfig = binaryKernel('Minimum', (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)));
