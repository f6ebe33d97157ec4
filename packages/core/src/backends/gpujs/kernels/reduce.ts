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
