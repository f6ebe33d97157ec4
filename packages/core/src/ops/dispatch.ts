// Helpers every op uses to reach the engine.
import { engine } from '../engine.js';
import { argumentError } from '../errors.js';
import type { KernelName } from '../kernel-names.js';
import { hasKernel, type KernelAttrs } from '../kernel-registry.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';

export type TensorLike = Tensor | number | boolean;

export function run(kernelName: KernelName, inputs: Record<string, Tensor>, attrs: KernelAttrs, outputShape: Shape): Tensor {
  return engine.runKernel(kernelName, inputs, attrs, [outputShape])[0]!;
}

export function runMany(kernelName: KernelName, inputs: Record<string, Tensor>, attrs: KernelAttrs, outputShapes: Shape[]): Tensor[] {
  return engine.runKernel(kernelName, inputs, attrs, outputShapes);
}

/** Whether the active backend has an optional fused kernel. */
export function activeBackendHas(kernelName: KernelName): boolean {
  return hasKernel(kernelName, engine.backend.name);
}

export function assertTensor(op: string, argument: string, value: unknown): Tensor {
  if (value instanceof Tensor) {
    value.throwIfDisposed(op);
    return value;
  }
  return argumentError(op, argument, 'a Tensor', value === null ? 'null' : typeof value);
}

/** A number or boolean becomes a scalar whose dtype follows `like` (int stays int when integral). */
export function toTensor(op: string, argument: string, value: TensorLike, like?: DType): Tensor {
  if (value instanceof Tensor) {
    value.throwIfDisposed(op);
    return value;
  }
  if (typeof value === 'boolean') return engine.makeTensor(new Uint8Array([value ? 1 : 0]), [], 'bool');
  if (typeof value !== 'number') return argumentError(op, argument, 'a Tensor or a number', typeof value);
  if (like === 'int32' && Number.isInteger(value)) return engine.makeTensor(new Int32Array([value]), [], 'int32');
  if (like === 'bool' && (value === 0 || value === 1)) return engine.makeTensor(new Uint8Array([value]), [], 'bool');
  return engine.makeTensor(new Float32Array([value]), [], 'float32');
}

/** Runs `fn` in a scope so that temporaries die; only the returned tensor survives. */
export function scoped<T extends Tensor | Tensor[]>(fn: () => T): T {
  return engine.tidy(fn);
}
