// `@tensorzoo/core/backends/gpujs`: the GPU.js backend. Importing this module registers the
// backend as 'gpujs'; `await setBackend('gpujs')` starts GPU.js (an optional peer dependency:
// `npm install gpu.js@2.24.1`) in one explicit mode:
//   webgl2      browsers (the default there)
//   webgl       browsers without WebGL2
//   headlessgl  Node with the `gl` package built and a display (Xvfb on a server; the Node default)
//   webgpu      where navigator.gpu gives an adapter (in Node through the `webgpu` package, glibc ≥ 2.38)
//   webasm, cpu GPU.js's CPU modes, only when named
// A mode that cannot run here is an error naming the reason; the backend never switches modes on
// its own. `gpujsMode()` says which mode the live backend runs.
import { engine } from '../../engine.js';
import { TensorzooError } from '../../errors.js';
import { GpujsBackend, type GpujsBackendStats } from './gpujs-backend.js';
import { defaultGpujsMode, parseGpujsMode, startGpuJs, type GpujsMode } from './modes.js';
import { registerGpujsKernels } from './register-all-kernels.js';

export { GpujsBackend, type GpujsBackendStats, type GpujsDataId } from './gpujs-backend.js';
export { gpujsKernels, registerGpujsKernels } from './register-all-kernels.js';
export { gpujsModes, defaultGpujsMode, provideGpuJs, type GpujsMode, type GpuJsModule } from './modes.js';

let requestedMode: GpujsMode | null = null;

function environmentMode(): GpujsMode | null {
  const value = typeof process !== 'undefined' ? process.env?.TENSORZOO_GPUJS_MODE : undefined;
  return value ? parseGpujsMode(value, 'TENSORZOO_GPUJS_MODE') : null;
}

/** The mode the next gpujs backend starts in: setGpujsMode's, else TENSORZOO_GPUJS_MODE, else the platform default. */
export function requestedGpujsMode(): GpujsMode {
  return requestedMode ?? environmentMode() ?? defaultGpujsMode();
}

/**
 * Chooses the mode for the gpujs backend. Takes effect when the backend is created; if one is
 * live in another mode it is removed (its tensors are lost), so call this before making tensors.
 */
export function setGpujsMode(mode: GpujsMode): void {
  requestedMode = parseGpujsMode(mode, 'setGpujsMode: argument \'mode\'');
  const live = activeInstance();
  if (live && live.mode !== requestedMode) engine.removeBackend('gpujs');
}

function activeInstance(): GpujsBackend | null {
  const instance = engine.findBackend('gpujs');
  return instance instanceof GpujsBackend ? instance : null;
}

/** The mode the live gpujs backend runs in, or null when none has been created. */
export function gpujsMode(): GpujsMode | null {
  return activeInstance()?.mode ?? null;
}

export interface GpujsBackendInfo {
  mode: GpujsMode;
  stats: GpujsBackendStats;
}

/** The live backend's mode and counters (kernels compiled, device and host runs, uploads, readbacks). */
export function gpujsBackendInfo(): GpujsBackendInfo {
  const instance = activeInstance();
  if (!instance) throw new TensorzooError("gpujsBackendInfo: no gpujs backend is live; call `await setBackend('gpujs')` first");
  return { mode: instance.mode, stats: { ...instance.stats } };
}

export async function createGpujsBackend(mode: GpujsMode = requestedGpujsMode()): Promise<GpujsBackend> {
  const started = await startGpuJs(mode);
  return new GpujsBackend(started.mode, started.gpu, started.module);
}

export function registerGpujsBackend(): void {
  registerGpujsKernels();
  engine.registerBackend({ name: 'gpujs', priority: 0, create: () => createGpujsBackend() });
}

registerGpujsBackend();
