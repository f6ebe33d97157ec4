import { reduceKernel } from './reduce.js';

export const maxConfig = reduceKernel('Max', 'total = Math.max(total, value);');
