import { float } from '../source.js';
import { reduceKernel } from './reduce.js';

// Two-level summation: blocks of about √n elements are summed, then the block sums, so float32
// rounding grows with √n rather than n (10 000 elements: 4e-8 relative rather than 2.3e-6). Shader
// compilers may drop the corrections of compensated (Kahan) summation as algebraic no-ops; they
// cannot reorder this.
export const sumConfig = reduceKernel('Sum', (inner) => {
  const block = Math.max(1, Math.ceil(Math.sqrt(inner)));
  const blocks = Math.ceil(inner / block);
  return `const base = this.thread.x * ${float(inner)};
let total = 0.0;
for (let outer = 0; outer < ${blocks}; outer++) {
  let partial = 0.0;
  for (let step = 0; step < ${block}; step++) {
    const index = outer * ${block} + step;
    if (index < ${inner}) {
      partial += x[base + index];
    }
  }
  total += partial;
}
return total;
`;
});
