// The arena allocator behind every wasm tensor: one region of the (shared) WebAssembly.Memory,
// from `base` up. Blocks are 64-byte aligned (a cache line; every SIMD load is aligned). Freed
// blocks are coalesced with free neighbours and kept in power-of-two size classes; a block that
// ends at the top of the arena gives its bytes back to the top. When nothing free fits, the top
// moves up, growing the memory through `growTo`. Requests that would pass `limit` (4 GiB, the
// wasm32 address space) fail with a TensorzooError before anything is touched.
import { TensorzooError } from '../../errors.js';

export const ALIGNMENT = 64;
export const WASM32_LIMIT = 2 ** 32;

export interface ArenaMemory {
  /** Current size of the memory in bytes. */
  byteLength(): number;
  /** Grows the memory to at least `bytes` bytes (throws if it cannot). */
  growTo(bytes: number): void;
}

export interface ArenaStats {
  /** Bytes in live blocks. */
  allocatedBytes: number;
  liveBlocks: number;
  /** Bytes in free blocks below the top. */
  freeBytes: number;
  freeBlocks: number;
  /** First byte above every block. */
  top: number;
  capacity: number;
}

const CLASSES = 33;

function sizeClass(bytes: number): number {
  return Math.min(CLASSES - 1, 31 - Math.clz32(Math.max(1, Math.floor(bytes / ALIGNMENT))));
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

export class ArenaAllocator {
  private top: number;
  private readonly live = new Map<number, number>();
  private readonly freeStart = new Map<number, number>();
  private readonly freeEnd = new Map<number, number>();
  private readonly bins: Set<number>[] = Array.from({ length: CLASSES }, () => new Set<number>());
  private allocatedBytes = 0;

  constructor(
    readonly base: number,
    private readonly memory: ArenaMemory,
    readonly limit = WASM32_LIMIT,
  ) {
    if (base % ALIGNMENT !== 0) throw new TensorzooError(`ArenaAllocator: argument 'base' expected a multiple of ${ALIGNMENT}, received ${base}`);
    this.top = base;
  }

  /** A block of at least `bytes` bytes (0 gives a distinct 64-byte block); returns its address. */
  allocate(bytes: number, what = 'a tensor'): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0)
      throw new TensorzooError(`wasm backend: allocate: argument 'bytes' expected a non-negative integer, received ${bytes}`);
    const size = Math.max(ALIGNMENT, Math.ceil(bytes / ALIGNMENT) * ALIGNMENT);
    const reused = this.takeFree(size);
    if (reused !== undefined) return this.markLive(reused, size);
    const address = this.top;
    if (address + size > this.limit)
      throw new TensorzooError(
        `wasm backend: allocating ${formatBytes(bytes)} for ${what} would pass the ${formatBytes(this.limit)} WebAssembly memory limit ` +
          `(${formatBytes(this.allocatedBytes)} already in use); dispose tensors you no longer need or use a smaller model/batch`,
      );
    if (address + size > this.memory.byteLength()) {
      try {
        this.memory.growTo(address + size);
      } catch (error) {
        throw new TensorzooError(
          `wasm backend: could not grow WebAssembly memory to ${formatBytes(address + size)} for ${what} of ${formatBytes(bytes)} ` +
            `(${formatBytes(this.allocatedBytes)} in use): ${(error as Error).message}`,
        );
      }
    }
    this.top = address + size;
    return this.markLive(address, size);
  }

  free(address: number): void {
    const size = this.live.get(address);
    if (size === undefined) throw new TensorzooError(`wasm backend: free: address ${address} is not a live block (double free?)`);
    this.live.delete(address);
    this.allocatedBytes -= size;
    let start = address;
    let end = address + size;
    const before = this.freeEnd.get(start);
    if (before !== undefined) {
      this.removeFree(before);
      start = before;
    }
    const afterSize = this.freeStart.get(end);
    if (afterSize !== undefined) {
      this.removeFree(end);
      end += afterSize;
    }
    if (end === this.top) this.top = start;
    else this.addFree(start, end - start);
  }

  sizeOf(address: number): number | undefined {
    return this.live.get(address);
  }

  stats(): ArenaStats {
    let freeBytes = 0;
    for (const size of this.freeStart.values()) freeBytes += size;
    return {
      allocatedBytes: this.allocatedBytes,
      liveBlocks: this.live.size,
      freeBytes,
      freeBlocks: this.freeStart.size,
      top: this.top,
      capacity: this.memory.byteLength(),
    };
  }

  private markLive(address: number, size: number): number {
    this.live.set(address, size);
    this.allocatedBytes += size;
    return address;
  }

  /** First fit within the request's size class, else any block of a larger class; splits the rest off. */
  private takeFree(size: number): number | undefined {
    for (let cls = sizeClass(size); cls < CLASSES; cls++) {
      for (const start of this.bins[cls]!) {
        const blockSize = this.freeStart.get(start)!;
        if (blockSize < size) continue;
        this.removeFree(start);
        if (blockSize > size) this.addFree(start + size, blockSize - size);
        return start;
      }
    }
    return undefined;
  }

  private addFree(start: number, size: number): void {
    this.freeStart.set(start, size);
    this.freeEnd.set(start + size, start);
    this.bins[sizeClass(size)]!.add(start);
  }

  private removeFree(start: number): void {
    const size = this.freeStart.get(start)!;
    this.freeStart.delete(start);
    this.freeEnd.delete(start + size);
    this.bins[sizeClass(size)]!.delete(start);
  }
}
