// Kernels the gpujs backend always runs on the host with the reference backend's code: integer
// and sorting work that GPU.js's one-output-per-thread float model does not fit (see kernel-helpers.ts).
import type { KernelConfig } from '../../../kernel-registry.js';
import type { KernelName } from '../../../kernel-names.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { runOnHost } from '../kernel-helpers.js';

export function hostKernel(kernelName: KernelName, storageInputs?: readonly string[]): KernelConfig<GpujsBackend> {
  return { kernelName, backendName: 'gpujs', ...(storageInputs ? { storageInputs } : {}), kernelFunc: (args) => runOnHost(kernelName, args) };
}
