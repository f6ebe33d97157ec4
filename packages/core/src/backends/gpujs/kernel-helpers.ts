// Shared plumbing for the gpujs kernels: where a kernel runs, and running it on the host.
//
// GPU.js computes in float32 textures/buffers, so a kernel runs on the device when its inputs are
// float32 (or bool, whose 0/1 is exact in float32). int32 data never goes to the device (float32
// holds integers exactly only to 2^24, and int32 arithmetic wraps); kernels on int32 data, and
// the kernels listed as host kernels (Cumsum, TopK, ArgMax), run the reference backend's code on
// the host copies. Every such run is counted in `backend.stats.hostRuns`, and docs/gpujs.md lists them.
import type { DataId, TensorInfo } from '../../backend.js';
import type { DType } from '../../dtype.js';
import type { KernelArgs } from '../../kernel-registry.js';
import type { KernelName } from '../../kernel-names.js';
import { ReferenceBackend } from '../reference/reference-backend.js';
import { referenceKernels } from '../reference/register-all-kernels.js';
import type { GpujsBackend } from './gpujs-backend.js';

export type GpujsKernelArgs = KernelArgs<GpujsBackend>;

/** True when every input is one of `dtypes` (float32 and bool by default): the kernel can run on the device. */
export function deviceEligible(args: GpujsKernelArgs, dtypes: readonly DType[] = ['float32', 'bool']): boolean {
  return Object.values(args.inputs).every((input) => dtypes.includes(input.dtype));
}

export function info(dataId: DataId, shape: readonly number[], dtype: DType): TensorInfo {
  return { dataId, shape: [...shape], dtype };
}

const scratch = new ReferenceBackend();

/** Runs the reference backend's kernel on the host copies of the inputs; outputs are host data. */
export function runOnHost(kernelName: KernelName, args: GpujsKernelArgs): TensorInfo | TensorInfo[] {
  const config = referenceKernels.find((kernel) => kernel.kernelName === kernelName);
  if (!config) throw new Error(`gpujs backend: no reference kernel '${kernelName}' to run on the host`);
  const inputs: Record<string, TensorInfo> = {};
  const scratchIds: DataId[] = [];
  try {
    const inputValues = new Set<unknown>();
    for (const [name, input] of Object.entries(args.inputs)) {
      const values = args.backend.hostValues(input.dataId);
      inputValues.add(values);
      const dataId = scratch.adopt(values);
      scratchIds.push(dataId);
      inputs[name] = info(dataId, input.shape, input.dtype);
    }
    const result = config.kernelFunc({ inputs, attrs: args.attrs, backend: scratch, outputShapes: args.outputShapes });
    args.backend.stats.hostRuns++;
    const outputs = (Array.isArray(result) ? result : [result]).map((output) => {
      scratchIds.push(output.dataId);
      const values = scratch.values(output.dataId);
      const owned = inputValues.has(values) ? values.slice() : values;
      return info(args.backend.adoptHost(owned as typeof values, output.shape, output.dtype), output.shape, output.dtype);
    });
    return Array.isArray(result) ? outputs : outputs[0]!;
  } finally {
    for (const dataId of scratchIds) scratch.disposeData(dataId);
  }
}
