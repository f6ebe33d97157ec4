// Elementwise unary kernels: out[i] = fn(x[i]). The output dtype is the input's, except where
// `outputDType` says otherwise (float math on int input is cast to float32 by the op first).
import type { KernelConfig } from '../../../kernel-registry.js';
import type { KernelName } from '../../../kernel-names.js';
import { allocateOutput, output, valuesOf, type ReferenceKernelArgs } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export function unaryKernel(kernelName: KernelName, fn: (value: number) => number): KernelConfig<ReferenceBackend> {
  return {
    kernelName,
    backendName: 'reference',
    kernelFunc(args: ReferenceKernelArgs) {
      const x = args.inputs.x!;
      const values = valuesOf(args, 'x');
      const out = allocateOutput(x.shape, x.dtype);
      for (let index = 0; index < values.length; index++) out[index] = fn(values[index]!);
      return output(args, out, x.shape, x.dtype);
    },
  };
}

/**
 * erf to double precision, from its two classical expansions (no fitted coefficients):
 * |x| < 2.5: the Maclaurin series 2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n+1)), relatively accurate near 0
 * (an absolute-error fit returns 0 or the wrong sign for tiny x); |x| ≥ 2.5: Laplace's continued
 * fraction erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), 60 levels deep;
 * beyond 6, erfc < 3e-17 and erf is ±1 in float64.
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const z = Math.abs(x);
  if (z < 2.5) {
    const square = x * x;
    let term = x;
    let total = x;
    for (let n = 1; n < 100; n++) {
      term *= -square / n;
      const contribution = term / (2 * n + 1);
      total += contribution;
      if (Math.abs(contribution) <= 1e-17 * Math.abs(total)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * total;
  }
  if (z >= 6) return x > 0 ? 1 : -1;
  let fraction = z;
  for (let level = 60; level >= 1; level--) fraction = z + level / 2 / fraction;
  const complement = Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
  return x > 0 ? 1 - complement : complement - 1;
}
