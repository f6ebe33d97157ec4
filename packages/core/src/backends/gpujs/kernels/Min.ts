import { reduceKernel } from './reduce.js';

export const minConfig = reduceKernel('Min', 'total = Math.min(total, value);');
