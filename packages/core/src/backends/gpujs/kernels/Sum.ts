import { float } from '../source.js';
import { blockedSum, reduceKernel } from './reduce.js';

// Two-level summation (reduce.ts): 10 000 float32 terms meet a 1e-6 relative bound that a plain
// loop misses by 2×.
export const sumConfig = reduceKernel('Sum', (inner) => `const base = this.thread.x * ${float(inner)};\n${blockedSum(inner, 'x[base + index]')}return total;\n`);
