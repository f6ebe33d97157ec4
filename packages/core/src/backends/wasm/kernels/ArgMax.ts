import { reduceKernel } from './reduce.js';

export const argMaxConfig = reduceKernel('ArgMax');
