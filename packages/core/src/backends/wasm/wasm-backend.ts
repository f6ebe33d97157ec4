// The wasm backend's storage: one WebAssembly.Memory (shared when threads are available) holding
// every tensor in an arena (allocator.ts), the instantiated kernel module, and the thread pool.
// Kernels (kernels/*.ts) pass pointers into this memory to the module's exports and never copy
// through JavaScript; typed-array views are made fresh from `memory.buffer` at each use, so they
// are always valid after the memory grows.
import type { Backend, DataId } from '../../backend.js';
import { allocate, type DType, type StorageValues } from '../../dtype.js';
import { TensorzooError } from '../../errors.js';
import { sizeOf, type Shape } from '../../shape.js';
import { ALIGNMENT, ArenaAllocator } from './allocator.js';
import { chooseVariant, variantBytes, type WasmFeatures, type WasmVariant } from './features.js';
import { ThreadPool } from './thread-pool.js';

/** Exports that are thread-pool tasks: f(...args, start, end, thread). Index = task id in workers. */
export const TASK_NAMES = [
  'unaryF32', 'unaryI32', 'logicalNotU8', 'binaryF32Flat', 'binaryF32Strided', 'binaryI32Strided', 'binaryU8Strided',
  'whereStrided', 'stridedCopy', 'copyRows', 'reduceF32', 'reduceI32', 'reduceU8', 'cast', 'softmax', 'rmsNorm', 'rope',
  'gemm', 'gemmI32', 'gemv', 'gemvSplitK', 'sumPartials',
  'int8Gemv', 'int8GemvSplitK', 'int8SumRescale', 'int8Gemm', 'int4Gemv', 'int4Gemm', 'absMaxQuantize', 'unpackInt4', 'copyVectors',
  'attention',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];

type KernelFunction = (...values: number[]) => number | void;
export type KernelExports = Record<TaskName | 'gather' | 'cumsum' | 'topK', KernelFunction> & {
  HEAP_BASE: WebAssembly.Global;
  GEMM_SCRATCH_BYTES: WebAssembly.Global;
  GEMM_NC: WebAssembly.Global;
  GEMV_NB: WebAssembly.Global;
  INT8_GEMV_NB: WebAssembly.Global;
  INT8_GEMM_NC: WebAssembly.Global;
  INT4_GEMV_NB: WebAssembly.Global;
  INT4_GEMM_NC: WebAssembly.Global;
};

export interface WasmDataId extends DataId {
  readonly ptr: number;
  readonly byteLength: number;
  readonly dtype: DType;
}

export interface WasmBackendOptions {
  /** Threads including the caller; 1 = single-threaded. */
  threads: number;
  /** Use the relaxed-SIMD (fused multiply-add) build where the runtime validates it. */
  relaxedSimd: boolean;
  /** Tasks with less work than this (≈ simple element operations) stay on one thread. */
  minParallelWork: number;
}

const PAGE = 65536;
const INITIAL_PAGES = 256;
/** Bytes of the parameter block kernels write descriptors into (read-only while a task runs). */
export const PARAMS_BYTES = 4096;

let warnedNoThreads = false;
function warnOnce(message: string): void {
  if (warnedNoThreads) return;
  warnedNoThreads = true;
  console.warn(message);
}

function createMemory(shared: boolean): { memory: WebAssembly.Memory; maximumBytes: number } {
  // A shared memory must declare its maximum (V8 reserves it up front); fall back to 1 GiB where
  // the full 4 GiB cannot be reserved (32-bit browsers).
  let lastError: unknown;
  for (const maximum of [65536, 16384]) {
    try {
      const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum, shared } as WebAssembly.MemoryDescriptor);
      return { memory, maximumBytes: maximum * PAGE };
    } catch (error) {
      lastError = error;
    }
  }
  throw new TensorzooError(`wasm backend: could not create a${shared ? ' shared' : 'n'} WebAssembly.Memory: ${(lastError as Error).message}`);
}

export class WasmBackend implements Backend {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'wasm';
  readonly allocator: ArenaAllocator;
  /** Address of the parameter block. */
  readonly params: number;
  minParallelWork: number;
  private pool: ThreadPool | null = null;
  private readonly live = new Set<WasmDataId>();
  private scratch: { ptr: number; threads: number } | null = null;
  private disposed = false;

  private constructor(
    readonly variant: WasmVariant,
    readonly features: WasmFeatures,
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly exports: KernelExports,
    options: WasmBackendOptions,
    maximumBytes: number,
  ) {
    this.minParallelWork = options.minParallelWork;
    const heapBase = Number(exports.HEAP_BASE.value);
    const base = Math.ceil(Math.max(heapBase, 1024) / ALIGNMENT) * ALIGNMENT;
    this.allocator = new ArenaAllocator(base, {
      byteLength: () => memory.buffer.byteLength,
      growTo: (bytes) => {
        const current = memory.buffer.byteLength / PAGE;
        const needed = Math.ceil(bytes / PAGE) - current;
        // Grow by at least a quarter of the current size, so a sequence of allocations grows rarely.
        const wanted = Math.min(Math.max(needed, Math.ceil(current / 4)), maximumBytes / PAGE - current);
        try {
          memory.grow(wanted);
        } catch {
          memory.grow(needed);
        }
      },
    }, maximumBytes);
    this.params = this.allocator.allocate(PARAMS_BYTES, 'the kernel parameter block');
  }

  static async create(features: WasmFeatures, options: WasmBackendOptions): Promise<WasmBackend> {
    const wantThreads = options.threads > 1;
    // The shared-memory build whenever threads are possible, so a pool can also start later.
    const threads = features.sharedMemory && features.canBlock && features.workers;
    if (wantThreads && !threads)
      warnOnce(
        `tensorzoo wasm backend: running single-threaded: ${!features.sharedMemory ? 'SharedArrayBuffer is unavailable (a browser page needs cross-origin isolation: COOP/COEP headers)' : !features.canBlock ? 'this thread may not block in Atomics.wait (a browser main thread; run tensorzoo in a Web Worker for threads)' : 'workers are unavailable'}`,
      );
    const variant = chooseVariant(features, { threads, relaxedSimd: options.relaxedSimd });
    const module = await WebAssembly.compile(variantBytes(variant) as BufferSource);
    const { memory, maximumBytes } = createMemory(threads);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        abort: () => {
          throw new TensorzooError('wasm backend: a kernel aborted');
        },
      },
    });
    const backend = new WasmBackend(variant, features, module, memory, instance.exports as unknown as KernelExports, options, maximumBytes);
    if (threads && wantThreads) await backend.setThreads(options.threads);
    return backend;
  }

  /** Whether this instance can run threads (its memory is shared). */
  get threaded(): boolean {
    return this.memory.buffer instanceof (globalThis.SharedArrayBuffer ?? class {});
  }

  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** Resizes the pool (1 = single-threaded). Warns once and stays at 1 where threads are unavailable. */
  async setThreads(threads: number): Promise<void> {
    if (!Number.isInteger(threads) || threads < 1)
      throw new TensorzooError(`setWasmThreads: argument 'threads' expected a positive integer, received ${threads}`);
    if (threads === this.threads) return;
    this.pool?.terminate();
    this.pool = null;
    if (threads === 1) return;
    if (!this.threaded) {
      warnOnce('tensorzoo wasm backend: running single-threaded: this instance has no shared memory (SharedArrayBuffer unavailable)');
      return;
    }
    this.pool = await ThreadPool.create({ module: this.module, memory: this.memory, taskNames: TASK_NAMES }, threads);
  }

  /** Threads `parallel` would use for this much work. */
  threadsFor(work: number): number {
    return this.pool && work >= this.minParallelWork ? this.pool.threads : 1;
  }

  /** Runs a task over [0, count) on the pool when `work` is large enough, else on this thread. */
  parallel(task: TaskName, args: readonly number[], count: number, work: number, align = 1): void {
    if (count <= 0) return;
    const fn = this.exports[task] as (...values: number[]) => void;
    if (this.pool && work >= this.minParallelWork && count > 1) this.pool.run(TASK_NAMES.indexOf(task), fn, args, count, align);
    else fn(...args, 0, count, 0);
  }

  /** Per-thread GEMM scratch: [ptr, stride in bytes], grown when the pool grows. */
  gemmScratch(): [number, number] {
    const stride = Number(this.exports.GEMM_SCRATCH_BYTES.value);
    const threads = this.threads;
    if (!this.scratch || this.scratch.threads < threads) {
      if (this.scratch) this.allocator.free(this.scratch.ptr);
      this.scratch = { ptr: this.allocator.allocate(stride * threads, 'matmul scratch'), threads };
    }
    return [this.scratch.ptr, stride];
  }

  // === Memory views (fresh per use: valid after growth) ===

  u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  /** Writes int32 values at `ptr` (e.g. into the parameter block). */
  writeI32(ptr: number, values: ArrayLike<number>): void {
    new Int32Array(this.memory.buffer, ptr, values.length).set(values);
  }

  // === Backend contract ===

  write(values: StorageValues, shape: Shape, dtype: DType): DataId {
    const expected = allocate(dtype, 0).constructor;
    if (values.constructor !== expected || values.length !== sizeOf(shape))
      throw new TensorzooError(
        `wasm backend write: argument 'values' expected ${sizeOf(shape)} values in a ${expected.name} for ${dtype}, received ${values.length} in a ${values.constructor.name}`,
      );
    const dataId = this.allocateData(values.byteLength, dtype, `a ${dtype} tensor of shape [${shape.join(', ')}]`);
    this.u8().set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataId.ptr);
    return dataId;
  }

  /** A new, uninitialised buffer of `byteLength` bytes, tracked as tensor data. */
  allocateData(byteLength: number, dtype: DType, what: string): WasmDataId {
    this.throwIfDisposed();
    const ptr = this.allocator.allocate(byteLength, what);
    const dataId: WasmDataId = { backendName: this.name, ptr, byteLength, dtype };
    this.live.add(dataId);
    return dataId;
  }

  ptr(dataId: DataId): number {
    if (!this.live.has(dataId as WasmDataId)) throw new TensorzooError('wasm backend: data was disposed or belongs to another backend');
    return (dataId as WasmDataId).ptr;
  }

  async read(dataId: DataId): Promise<StorageValues> {
    return this.readSync(dataId);
  }

  readSync(dataId: DataId): StorageValues {
    const ptr = this.ptr(dataId);
    const { byteLength, dtype } = dataId as WasmDataId;
    const copy = this.u8().slice(ptr, ptr + byteLength);
    return viewAs(copy.buffer, dtype);
  }

  disposeData(dataId: DataId): void {
    if (!this.live.delete(dataId as WasmDataId)) return;
    this.allocator.free((dataId as WasmDataId).ptr);
  }

  numDataIds(): number {
    return this.live.size;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.terminate();
    this.pool = null;
    for (const dataId of this.live) this.allocator.free(dataId.ptr);
    this.live.clear();
  }

  private throwIfDisposed(): void {
    if (this.disposed) throw new TensorzooError('wasm backend: used after dispose()');
  }
}

function viewAs(buffer: ArrayBufferLike, dtype: DType): StorageValues {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'bool':
      return new Uint8Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    default:
      return new Uint16Array(buffer);
  }
}
