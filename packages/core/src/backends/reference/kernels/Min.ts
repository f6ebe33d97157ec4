import { reduceKernel } from './reduce.js';

export const minConfig = reduceKernel('Min', (values, start, end) => {
  let best = Infinity;
  for (let index = start; index < end; index++) {
    const value = values[index]!;
    if (value < best || value !== value) best = value;
    if (best !== best) break;
  }
  return best;
});
