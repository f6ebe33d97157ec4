import { unaryKernel } from './unary.js';

// erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), in float32 on the device.
export const erfConfig = unaryKernel(
  'Erf',
  `const z = Math.abs(x);
const t = 1.0 / (1.0 + 0.3275911 * z);
const polynomial = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
const magnitude = 1.0 - polynomial * Math.exp(-z * z);
return x < 0.0 ? -magnitude : magnitude;`,
);
