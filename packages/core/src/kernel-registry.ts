// One registry for every backend's kernels, keyed by backend name then kernel name.
import type { Backend, TensorInfo } from './backend.js';
import { TensorzooError } from './errors.js';
import type { KernelName } from './kernel-names.js';

export type KernelAttrs = Record<string, unknown>;

export interface KernelArgs<B extends Backend = Backend> {
  inputs: Record<string, TensorInfo>;
  attrs: KernelAttrs;
  backend: B;
  /** The output shape(s) computed by the op's shape rule. */
  outputShapes: readonly (readonly number[])[];
}

export interface KernelConfig<B extends Backend = Backend> {
  readonly kernelName: KernelName;
  readonly backendName: string;
  /** Input names that may arrive as bfloat16/float16 storage; others are decoded to float32 first. */
  readonly storageInputs?: readonly string[];
  kernelFunc(args: KernelArgs<B>): TensorInfo | TensorInfo[];
}

const registry = new Map<string, Map<KernelName, KernelConfig>>();

export function registerKernel<B extends Backend>(config: KernelConfig<B>): void {
  let kernels = registry.get(config.backendName);
  if (!kernels) registry.set(config.backendName, (kernels = new Map()));
  if (kernels.has(config.kernelName))
    throw new TensorzooError(`registerKernel: kernel '${config.kernelName}' is already registered for backend '${config.backendName}'`);
  kernels.set(config.kernelName, config as unknown as KernelConfig);
}

export function registerKernels<B extends Backend>(configs: readonly KernelConfig<B>[]): void {
  for (const config of configs) registerKernel(config);
}

export function unregisterKernel(kernelName: KernelName, backendName: string): void {
  registry.get(backendName)?.delete(kernelName);
}

export function getKernel(kernelName: KernelName, backendName: string): KernelConfig | undefined {
  return registry.get(backendName)?.get(kernelName);
}

export function hasKernel(kernelName: KernelName, backendName: string): boolean {
  return registry.get(backendName)?.has(kernelName) ?? false;
}

export function listKernels(backendName: string): KernelName[] {
  return [...(registry.get(backendName)?.keys() ?? [])].sort();
}
