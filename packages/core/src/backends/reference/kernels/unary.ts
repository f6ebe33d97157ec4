// Elementwise unary kernels: out[i] = fn(x[i]). The output dtype is the input's, except where
// `outputDType` says otherwise (float math on int input is cast to float32 by the op first).
import type { KernelConfig } from '../../../kernel-registry.js';
import type { UnaryKernelName } from '../../../kernel-names.js';
import { allocateOutput, output, valuesOf, type ReferenceKernelArgs } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export function unaryKernel(kernelName: UnaryKernelName, fn: (value: number) => number): KernelConfig<ReferenceBackend> {
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

/** erf to about 1e-7 absolute (Numerical Recipes' erfc with a Chebyshev fit), enough for float32. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const complement =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - complement : complement - 1;
}
