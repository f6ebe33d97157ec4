// Shared plumbing for the wasm kernels: input pointers, output allocation, dtype codes and the
// loop descriptors the strided kernels walk (see assembly/strided.ts).
import type { TensorInfo } from '../../backend.js';
import { bytesPerElement, type DType } from '../../dtype.js';
import { argumentError } from '../../errors.js';
import type { KernelArgs } from '../../kernel-registry.js';
import { formatShape, sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { WasmBackend } from './wasm-backend.js';

export type WasmKernelArgs = KernelArgs<WasmBackend>;

export function ptrOf(args: WasmKernelArgs, name: string): number {
  return args.backend.ptr(args.inputs[name]!.dataId);
}

export interface Output {
  info: TensorInfo;
  ptr: number;
}

/** A fresh output tensor of `shape` and `dtype` in wasm memory. */
export function allocateOutput(args: WasmKernelArgs, shape: Shape, dtype: DType, kernel: string): Output {
  const bytes = sizeOf(shape) * bytesPerElement(dtype);
  const dataId = args.backend.allocateData(bytes, dtype, `the ${dtype} output of ${kernel} with shape ${formatShape(shape)}`);
  return { info: { dataId, shape, dtype }, ptr: dataId.ptr };
}

/** Throws a clear error when a kernel receives a dtype it does not implement. */
export function expectDType(kernel: string, argument: string, info: TensorInfo, allowed: readonly DType[]): void {
  if (!allowed.includes(info.dtype)) argumentError(`wasm ${kernel}`, argument, `a tensor of dtype ${allowed.join(' or ')}`, info);
}

/** dtype codes of assembly/cast.ts. */
export function castKind(dtype: DType): number {
  return ['float32', 'int32', 'bool', 'bfloat16', 'float16', 'int8'].indexOf(dtype);
}

/** Weight kinds of assembly/widen.ts (0 float32, 1 bfloat16, 2 float16). */
export function weightKind(dtype: DType): number {
  return dtype === 'bfloat16' ? 1 : dtype === 'float16' ? 2 : 0;
}

export interface LoopDescriptor {
  rank: number;
  dims: number[];
  /** One stride list (elements) per operand. */
  strides: number[][];
  /** Rows = product of every dim but the last. */
  rows: number;
  inner: number;
}

/**
 * Collapses an iteration over `dims` where operand j reads at Σ index_i · strides[j][i]: drops
 * size-1 dims and merges neighbours that every operand walks contiguously, so the kernel's
 * innermost loop is as long as possible.
 */
export function collapseLoop(dims: readonly number[], strides: readonly (readonly number[])[]): LoopDescriptor {
  const keptDims: number[] = [];
  const keptStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < dims.length; axis++) {
    if (dims[axis] === 1) continue;
    const last = keptDims.length - 1;
    const mergeable =
      last >= 0 && strides.every((operand, j) => keptStrides[j]![last] === operand[axis]! * dims[axis]!);
    if (mergeable) {
      keptDims[last] = keptDims[last]! * dims[axis]!;
      strides.forEach((operand, j) => (keptStrides[j]![last] = operand[axis]!));
    } else {
      keptDims.push(dims[axis]!);
      strides.forEach((operand, j) => keptStrides[j]!.push(operand[axis]!));
    }
  }
  if (keptDims.length === 0) {
    keptDims.push(1);
    keptStrides.forEach((operand) => operand.push(1));
  }
  const inner = keptDims[keptDims.length - 1]!;
  return { rank: keptDims.length, dims: keptDims, strides: keptStrides, rows: sizeOf(keptDims) / inner, inner };
}

/** Strides (elements) of `shape` broadcast against `outShape`: 0 along broadcast dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const natural = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, axis) => {
    const inAxis = axis - offset;
    if (inAxis < 0 || shape[inAxis] === 1) return 0;
    return natural[inAxis]!;
  });
}

/** Writes a descriptor into the parameter block: dims, then each operand's strides. Returns its address. */
export function writeDescriptor(backend: WasmBackend, loop: LoopDescriptor): number {
  const words = [...loop.dims, ...loop.strides.flat()];
  if (words.length * 4 > 4096) argumentError('wasm backend', 'shape', 'a rank the parameter block can hold', String(loop.rank));
  backend.writeI32(backend.params, words);
  return backend.params;
}
