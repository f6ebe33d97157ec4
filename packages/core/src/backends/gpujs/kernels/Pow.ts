import { binaryKernel } from './binary.js';

// Shader pow is exp2(y·log2(x)): defined for x > 0 only and a few ulps off even for small integer
// powers. Integer exponents up to 64 in magnitude multiply out exactly as Math.pow does for them
// (the sign of a negative base follows the exponent's parity); other exponents use the shader's
// pow on |x|, and a negative base with a non-integer exponent gives the shader's NaN.
export const powConfig = binaryKernel(
  'Pow',
  `if (Math.floor(y) == y && Math.abs(y) <= 64.0) {
  const count = Math.abs(y);
  let product = 1.0;
  for (let step = 0; step < 64; step++) {
    if (step < count) {
      product *= x;
    }
  }
  return y < 0.0 ? 1.0 / product : product;
}
if (x < 0.0) {
  return Math.sqrt(x);
}
return Math.pow(x, y);`,
);
