import { binaryKernel } from './binary.js';

// Shader pow is defined for a positive base only: the magnitude comes from |x|, and the sign of a
// negative base follows Math.pow for integer exponents (an odd one keeps it). x^0 is 1.
export const powConfig = binaryKernel(
  'Pow',
  `const magnitude = Math.pow(Math.abs(x), y);
const half = Math.floor(y * 0.5);
const odd = Math.floor(y) == y && half * 2.0 != y;
if (y == 0.0) {
  return 1.0;
}
if (x < 0.0 && odd) {
  return -magnitude;
}
return magnitude;`,
);
