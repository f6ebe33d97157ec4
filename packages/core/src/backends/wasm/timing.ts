// Timing helpers for benchmarks of the wasm kernels (the quant suite measures GEMV weight
// bandwidth against the memory bandwidth of a plain copy loop in the same run). Nothing here runs
// unless called; tests never time.
import { engine } from '../../engine.js';
import { TensorzooError } from '../../errors.js';
import { WasmBackend } from './wasm-backend.js';

export interface Timing {
  /** Median seconds per call over the timed repetitions. */
  median: number;
  /** Fastest call, seconds. */
  best: number;
  repetitions: number;
}

/** Times `run` (synchronous): `warmup` untimed calls, then calls until `minSeconds` and `minRepetitions` are both reached. */
export function timeCalls(run: () => void, options: { warmup?: number; minSeconds?: number; minRepetitions?: number } = {}): Timing {
  const warmup = options.warmup ?? 2;
  const minSeconds = options.minSeconds ?? 0.5;
  const minRepetitions = options.minRepetitions ?? 5;
  for (let index = 0; index < warmup; index++) run();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRepetitions || performance.now() - start < minSeconds * 1000) {
    const before = performance.now();
    run();
    samples.push((performance.now() - before) / 1000);
  }
  samples.sort((left, right) => left - right);
  return { median: samples[Math.floor(samples.length / 2)]!, best: samples[0]!, repetitions: samples.length };
}

export interface CopyBandwidth extends Timing {
  /** Bytes copied per call. */
  bytes: number;
  /** bytes / median: bytes read per second (each also written once). */
  bytesPerSecond: number;
  threads: number;
}

/**
 * The memory bandwidth of a plain v128 load/store copy loop (assembly/strided.ts copyVectors) over
 * `bytes` (default 64 MiB: far beyond the caches) in the active wasm backend's memory, on its
 * current threads (setWasmThreads). Reports bytes read per second (a copy also writes as many).
 */
export function measureWasmCopyBandwidth(options: { bytes?: number; minSeconds?: number } = {}): CopyBandwidth {
  const backend = engine.backend;
  if (!(backend instanceof WasmBackend)) throw new TensorzooError(`measureWasmCopyBandwidth: the active backend must be 'wasm', received '${backend.name}'`);
  const bytes = Math.ceil((options.bytes ?? 64 * 1024 * 1024) / 64) * 64;
  const source = backend.allocator.allocate(bytes, 'the copy bandwidth source');
  try {
    const target = backend.allocator.allocate(bytes, 'the copy bandwidth target');
    try {
      backend.u8().fill(1, source, source + bytes);
      backend.u8().fill(0, target, target + bytes);
      const vectors = bytes / 16;
      const timing = timeCalls(() => backend.parallel('copyVectors', [source, target], vectors, Infinity, 4), { minSeconds: options.minSeconds });
      return { ...timing, bytes, bytesPerSecond: bytes / timing.median, threads: backend.threads };
    } finally {
      backend.allocator.free(target);
    }
  } finally {
    backend.allocator.free(source);
  }
}
