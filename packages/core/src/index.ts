// @tensorzoo/core: tensors, ops, the engine and the kernel registry. The reference backend is
// registered on import; `@tensorzoo/core/backends/wasm` and `/gpujs` register theirs when imported.
import './backends/reference/index.js';
import { engine, type TensorContainer } from './engine.js';
import type { Tensor } from './tensor.js';

export type { Backend, BackendFactory, DataId, TensorInfo } from './backend.js';
export * from './dtype.js';
export { Engine, engine, type KernelListener, type KernelRecord, type TensorContainer, type ViewListener } from './engine.js';
export { TensorzooError, argumentError } from './errors.js';
export * from './kernel-names.js';
export * from './kernel-registry.js';
export * from './shape.js';
export { Tensor, type NestedArray } from './tensor.js';
export * from './ops/activations.js';
export * from './ops/creation.js';
export { activeBackendHas, type TensorLike } from './ops/dispatch.js';
export * from './ops/einsum.js';
export * from './ops/elementwise.js';
export * from './ops/gemma.js';
export * from './ops/attention.js';
export * from './ops/masks.js';
export * from './ops/mat-mul.js';
export * from './ops/quantization.js';
export { RandomGenerator } from './ops/random.js';
export * from './ops/reductions.js';
export * from './ops/scan.js';
export * from './ops/shape-ops.js';

export const setBackend = (name: string): Promise<void> => engine.setBackend(name);
export const getBackend = (): string => engine.getBackend();
export const tidy = <T extends TensorContainer>(fn: () => T): T => engine.tidy(fn);
export const keep = <T extends Tensor>(tensor: T): T => engine.keep(tensor);
export const memory = () => engine.memory();
/** Disposes every tensor in a tensor, array or object of tensors. */
export function dispose(container: TensorContainer): void {
  if (container && typeof container === 'object' && 'dispose' in container && typeof container.dispose === 'function') (container as Tensor).dispose();
  else if (Array.isArray(container)) container.forEach(dispose);
  else if (container && typeof container === 'object') Object.values(container).forEach(dispose);
}
export * from './autodiff/index.js';
