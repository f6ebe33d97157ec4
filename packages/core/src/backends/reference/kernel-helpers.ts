// Shared plumbing for the reference kernels: typed inputs, output allocation.
import type { TensorInfo } from '../../backend.js';
import { allocate, type DType, type StorageValues } from '../../dtype.js';
import type { KernelArgs } from '../../kernel-registry.js';
import type { Shape } from '../../shape.js';
import { sizeOf } from '../../shape.js';
import type { ReferenceBackend } from './reference-backend.js';

export type ReferenceKernelArgs = KernelArgs<ReferenceBackend>;

export function valuesOf(args: ReferenceKernelArgs, name: string): StorageValues {
  return args.backend.values(args.inputs[name]!.dataId);
}

export function output(args: ReferenceKernelArgs, values: StorageValues, shape: Shape, dtype: DType): TensorInfo {
  return { dataId: args.backend.adopt(values), shape, dtype };
}

export function allocateOutput(shape: Shape, dtype: DType): StorageValues {
  return allocate(dtype, sizeOf(shape));
}
