import { reduceKernel } from './reduce.js';

export const sumConfig = reduceKernel('Sum', 'total += value;');
