// `@tensorzoo/core/backends/wasm`: the WebAssembly SIMD backend (AssemblyScript kernels in
// packages/core/assembly, compiled by `npm run build:wasm` and embedded as base64). Importing this
// module registers the backend as 'wasm' (priority 2); `await setBackend('wasm')` creates it:
// feature detection, module choice (relaxed SIMD where validated), memory, thread pool. Without
// wasm SIMD it falls back to the reference backend with one warning.
import type { Backend } from '../../backend.js';
import { engine } from '../../engine.js';
import { TensorzooError } from '../../errors.js';
import { detectFeatures, type WasmFeatures, type WasmVariant } from './features.js';
import { registerWasmKernels } from './register-all-kernels.js';
import { WasmBackend } from './wasm-backend.js';

export { ArenaAllocator, type ArenaMemory, type ArenaStats } from './allocator.js';
export { WasmBackend, type WasmBackendOptions } from './wasm-backend.js';
export { wasmKernels, registerWasmKernels } from './register-all-kernels.js';
export { detectFeatures, type WasmFeatures, type WasmVariant } from './features.js';
export { timeCalls, measureWasmCopyBandwidth, type Timing, type CopyBandwidth } from './timing.js';

/** The default of setWasmParallelThreshold. */
export const DEFAULT_WASM_PARALLEL_THRESHOLD = 1 << 16;

const settings = {
  threads: 0, // 0 = available cores
  relaxedSimd: true,
  // ≈ 64 k element operations (tens of microseconds): below it a thread wake-up costs more than it saves.
  minParallelWork: DEFAULT_WASM_PARALLEL_THRESHOLD,
};

function activeInstance(): WasmBackend | null {
  const instance = engine.findBackend('wasm');
  return instance instanceof WasmBackend ? instance : null;
}

/**
 * Threads the wasm backend uses (including the calling thread); default: available cores. Takes
 * effect at creation, or at once (restarting the pool) on an existing backend.
 */
export async function setWasmThreads(threads: number): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1)
    throw new TensorzooError(`setWasmThreads: argument 'threads' expected a positive integer, received ${threads}`);
  settings.threads = threads;
  await activeInstance()?.setThreads(threads);
}

/** Work (≈ simple element operations; matmul counts 16 multiply-adds as one) below which a kernel stays on one thread. */
export function setWasmParallelThreshold(work: number): void {
  if (!(work >= 0)) throw new TensorzooError(`setWasmParallelThreshold: argument 'work' expected a non-negative number, received ${work}`);
  settings.minParallelWork = work;
  const instance = activeInstance();
  if (instance) instance.minParallelWork = work;
}

/** Whether a new backend may use the relaxed-SIMD (fused multiply-add) build where it validates. */
export function setWasmRelaxedSimd(enabled: boolean): void {
  settings.relaxedSimd = enabled;
}

export interface WasmBackendInfo {
  features: WasmFeatures;
  variant: WasmVariant | null;
  threads: number;
}

/** What the runtime supports and what the live backend (if any) chose. */
export async function wasmBackendInfo(): Promise<WasmBackendInfo> {
  const features = await detectFeatures();
  const instance = activeInstance();
  return { features, variant: instance?.variant ?? null, threads: instance?.threads ?? 0 };
}

let warnedNoSimd = false;

/**
 * What the 'wasm' factory creates: a WasmBackend, or — where this runtime has no wasm SIMD — the
 * reference backend, with one warning. `features` defaults to the detected ones (tests pass others).
 */
export async function createWasmBackend(features?: WasmFeatures): Promise<Backend> {
  const detected = features ?? (await detectFeatures());
  if (!detected.simd) {
    if (!warnedNoSimd) {
      warnedNoSimd = true;
      console.warn('tensorzoo wasm backend: this runtime has no WebAssembly SIMD; using the reference backend instead');
    }
    return engine.initialiseBackend('reference');
  }
  return WasmBackend.create(detected, {
    threads: settings.threads || detected.cores,
    relaxedSimd: settings.relaxedSimd,
    minParallelWork: settings.minParallelWork,
  });
}

export function registerWasmBackend(): void {
  registerWasmKernels();
  engine.registerBackend({ name: 'wasm', priority: 2, create: () => createWasmBackend() });
}

registerWasmBackend();
