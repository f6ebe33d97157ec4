import { reduceKernel } from './reduce.js';

// Accumulates in float64, then rounds once: the most accurate float32 sum a twin can give.
export const sumConfig = reduceKernel('Sum', (values, start, end) => {
  let total = 0;
  for (let index = start; index < end; index++) total += values[index]!;
  return total;
});
