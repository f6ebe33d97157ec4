// --backend / --threads: imports the backend's subpath (so GPU.js loads only when asked for) and
// activates it.
import { getBackend, setBackend } from '@tensorzoo/core';
import { UsageError } from './usage.js';

export const backendNames = ['reference', 'wasm', 'gpujs'] as const;
export type BackendName = (typeof backendNames)[number];

interface BackendModule {
  setWasmThreads?: (threads: number) => void | Promise<void>;
}

/** The command line's default: the WASM SIMD backend (it falls back to reference, with a warning, without SIMD). */
export const defaultBackend: BackendName = 'wasm';

export async function selectBackend(command: string, name: BackendName | undefined, threads: number | undefined): Promise<string> {
  const chosen = name ?? defaultBackend;
  let module: BackendModule = {};
  // A computed specifier: the GPU.js subpath (and gpu.js itself) loads only when asked for.
  if (chosen !== 'reference') module = (await import(/* @vite-ignore */ `@tensorzoo/core/backends/${chosen}`)) as BackendModule;
  if (threads !== undefined) {
    if (!module.setWasmThreads) throw new UsageError(`${command}: --threads applies to the wasm backend, received it with --backend ${chosen}`);
    await module.setWasmThreads(threads);
  }
  await setBackend(chosen);
  return getBackend();
}
