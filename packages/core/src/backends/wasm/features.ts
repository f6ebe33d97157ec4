// Feature detection and module choice. SIMD and relaxed SIMD are detected by validating the
// compiled variants themselves (so detection can never disagree with what we instantiate);
// threads need a shared WebAssembly.Memory (SharedArrayBuffer: cross-origin isolation in a
// browser), a way to start workers, and a calling thread that may block in Atomics.wait (a
// browser's main thread may not: there the backend runs single-threaded rather than spin).
import * as generated from './generated/wasm-modules.js';

export type WasmVariant = 'simd' | 'relaxed' | 'simd-threads' | 'relaxed-threads';

export interface WasmFeatures {
  simd: boolean;
  relaxedSimd: boolean;
  sharedMemory: boolean;
  canBlock: boolean;
  workers: boolean;
  /** Available hardware threads (os.availableParallelism / navigator.hardwareConcurrency). */
  cores: number;
}

const base64: Record<WasmVariant, string> = {
  simd: generated.simdBase64,
  relaxed: generated.relaxedBase64,
  'simd-threads': generated.simdThreadsBase64,
  'relaxed-threads': generated.relaxedThreadsBase64,
};

const bytesCache = new Map<WasmVariant, Uint8Array>();

export function decodeBase64(text: string): Uint8Array {
  const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: string): Uint8Array } }).Buffer;
  if (NodeBuffer) {
    const buffer = NodeBuffer.from(text, 'base64');
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export function variantBytes(variant: WasmVariant): Uint8Array {
  let bytes = bytesCache.get(variant);
  if (!bytes) bytesCache.set(variant, (bytes = decodeBase64(base64[variant])));
  return bytes;
}

function validates(variant: WasmVariant): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(variantBytes(variant) as BufferSource);
  } catch {
    return false;
  }
}

function detectSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function detectCanBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

function detectCores(): number {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return 0; // resolved asynchronously by detectFeatures (node:os)
}

let cached: Promise<WasmFeatures> | null = null;

export function detectFeatures(): Promise<WasmFeatures> {
  cached ??= (async () => {
    const simd = validates('simd');
    const sharedMemory = simd && detectSharedMemory();
    const isNode = typeof process !== 'undefined' && !!process.versions?.node;
    let cores = detectCores();
    if (isNode) {
      const specifier = 'node:os';
      const os = (await import(/* @vite-ignore */ specifier)) as { availableParallelism?: () => number; cpus(): unknown[] };
      cores = os.availableParallelism?.() ?? os.cpus().length;
    }
    return {
      simd,
      relaxedSimd: simd && validates('relaxed'),
      sharedMemory,
      canBlock: sharedMemory && detectCanBlock(),
      workers: isNode || typeof Worker !== 'undefined',
      cores: Math.max(1, cores),
    };
  })();
  return cached;
}

export function chooseVariant(features: WasmFeatures, options: { threads: boolean; relaxedSimd: boolean }): WasmVariant {
  const relaxed = options.relaxedSimd && features.relaxedSimd;
  return `${relaxed ? 'relaxed' : 'simd'}${options.threads ? '-threads' : ''}` as WasmVariant;
}
