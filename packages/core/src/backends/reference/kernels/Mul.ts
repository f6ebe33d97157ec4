import { binaryKernel } from './binary.js';

// int32 products wrap modulo 2³² exactly (Math.imul); a float64 product of two large int32s
// is inexact beyond 2⁵³, so storing it would wrap the wrong value.
export const mulConfig = binaryKernel('Mul', (a, b) => a * b, false, Math.imul);
