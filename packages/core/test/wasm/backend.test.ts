// The wasm backend's machinery: the arena allocator (free lists, coalescing, growth, the 4 GiB
// limit), memory growth under live tensors, the thread pool's configuration, the single-threaded
// fallback without SharedArrayBuffer, the reference fallback without SIMD, and the relaxed-SIMD
// build (run in a child Node with the flag Node 20 needs).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import * as tz from '@tensorzoo/core';
import {
  ArenaAllocator,
  WasmBackend,
  createWasmBackend,
  detectFeatures,
  setWasmThreads,
  wasmBackendInfo,
  type WasmFeatures,
} from '@tensorzoo/core/backends/wasm';

function fakeMemory(initial: number) {
  const memory = { bytes: initial, grows: 0 };
  return {
    memory,
    arena: {
      byteLength: () => memory.bytes,
      growTo: (bytes: number) => {
        memory.grows++;
        memory.bytes = Math.ceil(bytes / 65536) * 65536;
      },
    },
  };
}

describe('ArenaAllocator', () => {
  test('aligns, reuses freed blocks, coalesces neighbours and gives the top back', () => {
    const { memory, arena } = fakeMemory(65536);
    const allocator = new ArenaAllocator(1024, arena);
    const a = allocator.allocate(10);
    const b = allocator.allocate(100);
    const c = allocator.allocate(1000);
    expect([a, b, c]).toEqual([1024, 1088, 1216]);
    expect(allocator.allocate(0) % 64).toBe(0);
    allocator.free(b);
    expect(allocator.allocate(64)).toBe(b); // first fit in the freed block, the rest split off
    allocator.free(a);
    allocator.free(b);
    expect(allocator.stats().freeBlocks).toBe(1); // a and b merged
    expect(allocator.allocate(128)).toBe(a);
    const top = allocator.stats().top;
    const d = allocator.allocate(4096);
    allocator.free(d);
    expect(allocator.stats().top).toBe(top); // freeing the last block lowers the top
    expect(memory.grows).toBe(0);
    expect(() => allocator.free(d)).toThrow(/not a live block/);
  });

  test('grows the memory when nothing free fits, and fails clearly past the limit', () => {
    const { memory, arena } = fakeMemory(65536);
    const allocator = new ArenaAllocator(64, arena, 2 ** 24);
    allocator.allocate(60_000);
    allocator.allocate(100_000);
    expect(memory.grows).toBe(1);
    expect(memory.bytes).toBeGreaterThanOrEqual(160_064);
    expect(() => allocator.allocate(2 ** 24, 'a float32 tensor of shape [4194304]')).toThrow(
      /allocating 16\.0 MiB for a float32 tensor of shape \[4194304\] would pass the 16\.0 MiB WebAssembly memory limit/,
    );
    expect(allocator.stats().liveBlocks).toBe(2);
  });

  test('a random allocate/free sequence never overlaps live blocks and ends empty', () => {
    const { arena } = fakeMemory(65536);
    const allocator = new ArenaAllocator(64, arena);
    let seed = 5;
    const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const live = new Map<number, number>();
    const overlaps: string[] = [];
    for (let step = 0; step < 3000; step++) {
      if (live.size && next() < 0.45) {
        const keys = [...live.keys()];
        const address = keys[Math.floor(next() * keys.length)]!;
        allocator.free(address);
        live.delete(address);
      } else {
        const bytes = Math.floor(next() ** 3 * 200_000);
        const address = allocator.allocate(bytes);
        for (const [other, size] of live)
          if (!(address + bytes <= other || other + size <= address)) overlaps.push(`${address}+${bytes} overlaps ${other}+${size}`);
        live.set(address, Math.max(bytes, 1));
      }
    }
    expect(overlaps).toEqual([]);
    for (const address of live.keys()) allocator.free(address);
    expect(allocator.stats()).toMatchObject({ allocatedBytes: 0, liveBlocks: 0, freeBlocks: 0, top: 64 });
  });
});

describe('wasm backend memory', () => {
  test('tensors keep their values while the memory grows; disposing frees their bytes', async () => {
    await tz.setBackend('wasm');
    const backend = tz.engine.findBackend('wasm') as WasmBackend;
    const before = backend.allocator.stats().allocatedBytes;
    const capacity = backend.memory.buffer.byteLength;
    const tensors: tz.Tensor[] = [];
    for (let index = 0; index < 6; index++) tensors.push(tz.fill([2 ** 21], index + 0.5)); // 8 MiB each
    expect(backend.memory.buffer.byteLength).toBeGreaterThan(capacity);
    const sums = tensors.map((tensor) => tz.sum(tensor));
    expect(sums.map((sum) => sum.dataSync()[0])).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5].map((value) => value * 2 ** 21));
    tz.dispose([...tensors, ...sums]);
    expect(backend.allocator.stats().allocatedBytes).toBe(before);
  });

  test('a tensor past the 4 GiB wasm limit is a clear error, and the backend keeps working', async () => {
    await tz.setBackend('wasm');
    const backend = tz.engine.findBackend('wasm') as WasmBackend;
    expect(() => backend.allocateData(2 ** 32, 'float32', 'a float32 tensor of shape [1073741824]')).toThrow(
      /allocating 4\.00 GiB for a float32 tensor of shape \[1073741824\] would pass the 4\.00 GiB WebAssembly memory limit/,
    );
    const x = tz.tensor([1, 2, 3]);
    const y = tz.mul(x, 2);
    expect(Array.from(y.dataSync())).toEqual([2, 4, 6]);
    tz.dispose([x, y]);
  });
});

describe('wasm backend configuration and fallbacks', () => {
  afterEach(() => vi.restoreAllMocks());

  test('setWasmThreads resizes the pool; bad counts are rejected', async () => {
    await tz.setBackend('wasm');
    const { features } = await wasmBackendInfo();
    expect(features.simd).toBe(true);
    await setWasmThreads(2);
    expect((await wasmBackendInfo()).threads).toBe(features.sharedMemory ? 2 : 1);
    await setWasmThreads(1);
    expect((await wasmBackendInfo()).threads).toBe(1);
    await expect(setWasmThreads(0)).rejects.toThrow(/argument 'threads' expected a positive integer, received 0/);
  });

  test('without SharedArrayBuffer it runs single-threaded and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const features: WasmFeatures = { ...(await detectFeatures()), sharedMemory: false, canBlock: false };
    const backend = await WasmBackend.create(features, { threads: 2, relaxedSimd: true, minParallelWork: 0 });
    const again = await WasmBackend.create(features, { threads: 2, relaxedSimd: true, minParallelWork: 0 });
    expect(backend.threads).toBe(1);
    expect(backend.variant.endsWith('-threads')).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/single-threaded: SharedArrayBuffer is unavailable/);
    backend.dispose();
    again.dispose();
  });

  test('without wasm SIMD the factory gives the reference backend and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const features: WasmFeatures = { ...(await detectFeatures()), simd: false, relaxedSimd: false };
    const first = await createWasmBackend(features);
    const second = await createWasmBackend(features);
    expect(first.name).toBe('reference');
    expect(second).toBe(first);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/no WebAssembly SIMD; using the reference backend/);
  });

  test('the relaxed-SIMD build (fused multiply-add) computes GEMM and GEMV correctly where the runtime accepts it', () => {
    const script = fileURLToPath(new URL('./relaxed-check.mjs', import.meta.url));
    const wasmDir = fileURLToPath(new URL('../../wasm', import.meta.url));
    const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script, wasmDir], { encoding: 'utf8' });
    const result = JSON.parse(output) as { valid: boolean; worst?: number };
    // Node ≥ 20 with the flag (and later Nodes without it) validate relaxed SIMD.
    expect(result.valid).toBe(true);
    expect(result.worst!).toBeLessThan(1e-6);
  });
});
