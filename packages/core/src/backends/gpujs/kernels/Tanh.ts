import { unaryKernel } from './unary.js';

// tanh from exp(-2|x|), which never overflows: (1 - e) / (1 + e) with the sign of x.
export const tanhConfig = unaryKernel(
  'Tanh',
  `const e = Math.exp(-2.0 * Math.abs(x));
const magnitude = (1.0 - e) / (1.0 + e);
return x < 0.0 ? -magnitude : magnitude;`,
);
