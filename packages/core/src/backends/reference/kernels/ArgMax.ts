import { reduceKernel } from './reduce.js';

// The first index of the maximum (NumPy's tie rule); a NaN counts as the maximum.
export const argMaxConfig = reduceKernel(
  'ArgMax',
  (values, start, end) => {
    let best = start;
    for (let index = start + 1; index < end; index++) {
      if (values[best] !== values[best]) break;
      if (values[index]! > values[best]! || values[index] !== values[index]) best = index;
    }
    return best - start;
  },
  'int32',
);
