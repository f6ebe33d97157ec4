// Which GPU.js mode the gpujs backend runs in, and how each one is brought up. The mode is always
// explicit: a default is picked per platform (webgl2 in browsers, headlessgl in Node), and when
// that mode cannot run here the backend refuses to start with the reason; it never drops to
// another mode on its own. cpu and webasm run only when named.
import { TensorzooError } from '../../errors.js';

export const gpujsModes = ['webgl2', 'webgl', 'webgpu', 'headlessgl', 'webasm', 'cpu'] as const;
export type GpujsMode = (typeof gpujsModes)[number];

/** What a mode computes with: device textures (GL), device buffers (WebGPU), or host arrays. */
export type GpujsFlavor = 'gl' | 'webgpu' | 'host';

export function flavorOf(mode: GpujsMode): GpujsFlavor {
  if (mode === 'webgpu') return 'webgpu';
  if (mode === 'cpu' || mode === 'webasm') return 'host';
  return 'gl';
}

/** The part of gpu.js's module the backend uses (gpu.js is an optional peer dependency). */
export interface GpuJsModule {
  GPU: GpuConstructor;
  /** The webgpu mode's pipeline handle class (a storage buffer with its device context). */
  WebGPUBufferResult?: new (settings: { buffer: unknown; output: number[]; componentCount: number; context: unknown; kernel: unknown }) => unknown;
}

export interface GpuConstructor {
  new (settings: { mode: string }): GpuInstance;
  readonly isHeadlessGLSupported: boolean;
  readonly isWebGL2Supported: boolean;
  readonly isWebGLSupported: boolean;
  readonly isWebAssemblySupported: boolean;
  isWebGPUAvailable(): Promise<boolean>;
}

export interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  destroy(): Promise<void> | void;
}

export interface GpuKernel {
  (...args: unknown[]): unknown;
  kernel?: { constructor: { name: string }; fallbackReason?: string; maxTexSize?: number[] };
  destroy(removeCanvasReferences?: boolean): void;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';

/** webgl2 in browsers, headlessgl in Node. */
export function defaultGpujsMode(): GpujsMode {
  return isNode ? 'headlessgl' : 'webgl2';
}

export function parseGpujsMode(value: string, source: string): GpujsMode {
  if ((gpujsModes as readonly string[]).includes(value)) return value as GpujsMode;
  throw new TensorzooError(`${source}: expected one of [${gpujsModes.join(', ')}], received "${value}"`);
}

let providedModule: GpuJsModule | null = null;

/** Hands the backend a gpu.js module loaded some other way (a script tag's `window.GPU`, say). */
export function provideGpuJs(module: GpuJsModule): void {
  providedModule = module;
}

async function loadGpuJs(): Promise<GpuJsModule> {
  if (providedModule) return providedModule;
  let loaded: unknown;
  try {
    // A literal specifier, so that bundlers include gpu.js's browser build with this entry point.
    loaded = await import('gpu.js');
  } catch (error) {
    throw new TensorzooError(
      `gpujs backend: the optional peer dependency 'gpu.js' (2.24.x) could not be loaded; install it with \`npm install gpu.js@2.24.1\` (${(error as Error).message})`,
    );
  }
  const module = loaded as Partial<GpuJsModule> & { default?: Partial<GpuJsModule> };
  const GPU = module.GPU ?? module.default?.GPU;
  if (!GPU) throw new TensorzooError("gpujs backend: the module 'gpu.js' has no GPU export");
  return { GPU, WebGPUBufferResult: module.WebGPUBufferResult ?? module.default?.WebGPUBufferResult };
}

interface NodeWebGpu {
  create(flags: string[]): { requestAdapter(options?: unknown): Promise<unknown> };
  globals: Record<string, unknown>;
}

/**
 * In Node, `navigator.gpu` comes from the `webgpu` package (Dawn; its linux-x64 binary needs
 * glibc 2.38). gpu.js assigns `device.onuncapturederror`, which Dawn's binding rejects, so the
 * device handed to gpu.js keeps that handler in JavaScript instead.
 */
async function installNodeWebGpu(): Promise<void> {
  const holder = globalThis as { navigator?: { gpu?: unknown } };
  if (holder.navigator?.gpu) return;
  const specifier = 'webgpu';
  let dawn: NodeWebGpu;
  try {
    dawn = (await import(/* @vite-ignore */ specifier)) as NodeWebGpu;
  } catch (error) {
    throw new TensorzooError(
      `gpujs backend: mode 'webgpu' in Node needs the 'webgpu' package (Dawn, installed with gpu.js), whose binary needs glibc ≥ 2.38; it could not be loaded: ${(error as Error).message}`,
    );
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const wrapped = {
    async requestAdapter(options?: unknown) {
      const adapter = (await gpu.requestAdapter(options)) as { requestDevice(descriptor?: unknown): Promise<object> } | null;
      if (!adapter) return null;
      return new Proxy(adapter, {
        get(target, property) {
          if (property !== 'requestDevice') {
            const value = Reflect.get(target, property, target) as unknown;
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          }
          return async (descriptor?: unknown) => {
            const device = await target.requestDevice(descriptor);
            let handler: unknown = null;
            Object.defineProperty(device, 'onuncapturederror', {
              configurable: true,
              get: () => handler,
              set: (value: unknown) => {
                handler = value;
              },
            });
            return device;
          };
        },
      });
    },
  };
  if (holder.navigator) Object.defineProperty(holder.navigator, 'gpu', { value: wrapped, configurable: true });
  else holder.navigator = { gpu: wrapped };
}

export interface StartedMode {
  mode: GpujsMode;
  gpu: GpuInstance;
  module: GpuJsModule;
}

/** Creates a GPU.js instance in exactly `mode`, or throws saying why that mode cannot run here. */
export async function startGpuJs(mode: GpujsMode): Promise<StartedMode> {
  const module = await loadGpuJs();
  const { GPU } = module;
  const unavailable = (why: string): never => {
    throw new TensorzooError(`gpujs backend: mode '${mode}' is not available here: ${why} (modes: ${gpujsModes.join(', ')}; choose one with setGpujsMode)`);
  };
  switch (mode) {
    case 'headlessgl':
      if (!isNode) unavailable('headlessgl runs only in Node');
      if (!GPU.isHeadlessGLSupported)
        unavailable("the 'gl' package (headless-gl) did not build, or it found no display (on Linux run under Xvfb, e.g. `xvfb-run -a node …`)");
      break;
    case 'webgl2':
      if (!GPU.isWebGL2Supported) unavailable('this runtime has no WebGL2 context');
      break;
    case 'webgl':
      if (!GPU.isWebGLSupported) unavailable('this runtime has no WebGL context');
      break;
    case 'webgpu':
      if (isNode) await installNodeWebGpu();
      if (!(await GPU.isWebGPUAvailable())) unavailable('navigator.gpu gave no adapter');
      break;
    case 'webasm':
      if (!GPU.isWebAssemblySupported) unavailable('this runtime has no WebAssembly');
      break;
    case 'cpu':
      break;
  }
  return { mode, gpu: new GPU({ mode }), module };
}
