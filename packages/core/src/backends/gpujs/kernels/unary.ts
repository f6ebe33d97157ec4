// Elementwise unary kernels: out[i] = f(x[i]) on the device for float32 (and bool for LogicalNot);
// int32 input runs on the host. `body` is kernel source that reads `x` and returns the result.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { KernelName } from '../../../kernel-names.js';
import type { DType } from '../../../dtype.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { kernelSource } from '../source.js';

export function unaryKernel(kernelName: KernelName, body: string, deviceDTypes: readonly DType[] = ['float32']): KernelConfig<GpujsBackend> {
  const source = kernelSource(['values'], `const x = values[this.thread.x];\n${body}\n`);
  return {
    kernelName,
    backendName: 'gpujs',
    kernelFunc(args) {
      const x = args.inputs.x!;
      if (!deviceEligible(args, deviceDTypes)) return runOnHost(kernelName, args);
      const size = x.shape.reduce((total, dim) => total * dim, 1);
      const dataId = args.backend.run({ name: kernelName, source, output: [Math.max(size, 1)] }, [x.dataId], x.shape, x.dtype);
      return info(dataId, x.shape, x.dtype);
    },
  };
}
