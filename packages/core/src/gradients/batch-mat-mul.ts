// y = op(a) · op(b), op = transpose of the last two axes when the flag is set; a, b rank ≥ 2 (the
// op promotes vectors first). With C = dy [..., M, N]:
//   neither:   da = C bᵀ        db = aᵀ C
//   b:         da = C b         db = Cᵀ a
//   a:         da = b Cᵀ        db = a C
//   both:      da = bᵀ Cᵀ       db = Cᵀ aᵀ
// each summed over the batch axes its operand was broadcast along.
import { matMul } from '../ops/mat-mul.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const batchMatMulGradient: GradientConfig = {
  kernelName: 'BatchMatMul',
  gradient: (dy, { inputs: { a, b }, attrs }) => {
    const transposeA = attrs.transposeA as boolean;
    const transposeB = attrs.transposeB as boolean;
    return {
      a: () => {
        const product = !transposeA
          ? matMul(dy, b!, { transposeB: !transposeB })
          : matMul(b!, dy, { transposeA: transposeB, transposeB: true });
        return sumToShape(product, a!.shape);
      },
      b: () => {
        const product = !transposeB
          ? matMul(a!, dy, { transposeA: !transposeA })
          : matMul(dy, a!, { transposeA: true, transposeB: transposeA });
        return sumToShape(product, b!.shape);
      },
    };
  },
};
