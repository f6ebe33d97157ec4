// The gradient of each differentiable kernel, keyed by kernel name (plus 'Reshape', the engine's
// view, which is not a kernel). Gradients live in src/gradients, one file per kernel, and are
// registered from the one list in src/gradients/register-all-gradients.ts.
import type { KernelName } from '../kernel-names.js';
import type { KernelAttrs } from '../kernel-registry.js';
import type { Tensor } from '../tensor.js';
import { TensorzooError } from '../errors.js';

/** A view is recorded under this name: output = reshape(x, output.shape). */
export type ViewName = 'Reshape';
export type DifferentiableName = KernelName | ViewName;

/** What the tape kept of one kernel run: its inputs, attrs and (first) output, alive until backward ends. */
export interface SavedKernel {
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly attrs: KernelAttrs;
  readonly output: Tensor;
}

export interface GradientConfig {
  readonly kernelName: DifferentiableName;
  /**
   * dy = dL/d(output), float32 in the output's shape → for each differentiable input, a thunk
   * that computes dL/d(input) in that input's shape. Thunks run only for inputs that depend on
   * the sources (a frozen weight's gradient is never computed). Inputs without an entry (int32
   * indices, bool masks and conditions) carry no gradient.
   */
  gradient(dy: Tensor, saved: SavedKernel): Record<string, () => Tensor>;
}

const registry = new Map<DifferentiableName, GradientConfig>();

export function registerGradient(config: GradientConfig): void {
  if (registry.has(config.kernelName)) throw new TensorzooError(`registerGradient: a gradient for '${config.kernelName}' is already registered`);
  registry.set(config.kernelName, config);
}

export function getGradient(kernelName: DifferentiableName): GradientConfig | undefined {
  return registry.get(kernelName);
}

export function listGradients(): DifferentiableName[] {
  return [...registry.keys()].sort();
}
