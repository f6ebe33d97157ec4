// Reductions over the last axis, x: [outer, inner] → [outer], on the device for float32: one
// thread per output row walks the row with a constant loop bound. bool/int32 input (whose results
// are int32) runs on the host.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { KernelName } from '../../../kernel-names.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { float, kernelSource } from '../source.js';

/** Kernel source: one thread per row reads x[base … base + inner) and returns the row's result. */
export type RowSource = (inner: number) => string;

/** `step` combines `value` into `total`, which starts at the row's first element. */
export function stepSource(step: string): RowSource {
  return (inner) => `const base = this.thread.x * ${float(inner)};
let total = x[base];
for (let index = 1; index < ${inner}; index++) {
  const value = x[base + index];
  ${step}
}
return total;
`;
}

/**
 * Statements that leave Σ `term` over index = 0 … count-1 in `total`, summed in two levels: blocks
 * of about √count terms, then the block sums, so float32 rounding grows with √count rather than
 * count. (Shader compilers may drop the corrections of compensated (Kahan) summation as algebraic
 * no-ops; they cannot reorder this.) `term` is an expression of `index`.
 */
export function blockedSum(count: number, term: string): string {
  const block = Math.max(1, Math.ceil(Math.sqrt(count)));
  const blocks = Math.ceil(count / block);
  return `let total = 0.0;
for (let outer = 0; outer < ${blocks}; outer++) {
  let partial = 0.0;
  for (let step = 0; step < ${block}; step++) {
    const index = outer * ${block} + step;
    if (index < ${count}) {
      partial += ${term};
    }
  }
  total += partial;
}
`;
}

export function reduceKernel(kernelName: KernelName, rowSource: RowSource): KernelConfig<GpujsBackend> {
  return {
    kernelName,
    backendName: 'gpujs',
    kernelFunc(args) {
      const x = args.inputs.x!;
      const [outer, inner] = x.shape as [number, number];
      if (!deviceEligible(args, ['float32']) || inner === 0) return runOnHost(kernelName, args);
      const source = kernelSource(['x'], rowSource(inner));
      const dataId = args.backend.run({ name: kernelName, source, output: [Math.max(outer, 1)] }, [x.dataId], [outer], 'float32');
      return info(dataId, [outer], 'float32');
    },
  };
}
