// Reductions over the last axis of x: [outer, inner] → [outer]. Ops move the reduced axes last.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { KernelName } from '../../../kernel-names.js';
import type { DType } from '../../../dtype.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export function reduceKernel(
  kernelName: KernelName,
  reduce: (values: ArrayLike<number>, start: number, end: number) => number,
  outputDType?: DType,
): KernelConfig<ReferenceBackend> {
  return {
    kernelName,
    backendName: 'reference',
    kernelFunc(args) {
      const x = args.inputs.x!;
      const [outer, inner] = x.shape as [number, number];
      const values = valuesOf(args, 'x');
      const dtype = outputDType ?? (x.dtype === 'bool' ? 'int32' : x.dtype);
      const out = allocateOutput([outer], dtype);
      for (let row = 0; row < outer; row++) out[row] = reduce(values, row * inner, row * inner + inner);
      return output(args, out, [outer], dtype);
    },
  };
}
