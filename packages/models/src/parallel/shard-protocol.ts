// The shared-memory protocol between the coordinator (the thread that called fromPreset), the
// supervisor worker (which owns the shard workers and watches them die) and the shard workers.
//
// Control block: an Int32Array over a SharedArrayBuffer of `controlBytes(shards)` bytes.
//   DONE       shards that finished the current command (the coordinator waits on it);
//   FAILED     0, or 1 + the index of the first shard that failed (set by the shard itself, or by
//              the supervisor when the worker died); waiters on DONE and on the barrier wake up;
//   BARRIER_*  a reusable generation barrier for the all-reduce;
//   error text per shard: a length word at ERROR_LENGTH + shard and UTF-8 bytes at errorOffset(shard).
// Data block (reallocated when a call needs more): two alternating sets of S reduce slots of
// `reduceFloats` float32 each, then `outputFloats` float32 of results. With alternating sets one
// barrier per reduce suffices: a shard can write set k % 2 again (reduce k + 2) only after every
// shard arrived at reduce k + 1, i.e. after every shard finished reading reduce k.
export const CONTROL = {
  done: 0,
  failed: 1,
  barrierCount: 2,
  barrierGeneration: 3,
  errorLength: 16,
  maxShards: 64,
  errorBytesPerShard: 4096,
  errorBase: 16 * 4 + 64 * 4,
} as const;

export function controlBytes(shards: number): number {
  return CONTROL.errorBase + shards * CONTROL.errorBytesPerShard;
}

export function errorOffset(shard: number): number {
  return CONTROL.errorBase + shard * CONTROL.errorBytesPerShard;
}

/** Records `message` as `shard`'s failure (the first failure wins FAILED) and wakes every waiter. */
export function recordFailure(control: SharedArrayBuffer, shard: number, message: string): void {
  const words = new Int32Array(control);
  const bytes = new TextEncoder().encode(message).subarray(0, CONTROL.errorBytesPerShard);
  new Uint8Array(control, errorOffset(shard), CONTROL.errorBytesPerShard).set(bytes);
  Atomics.store(words, CONTROL.errorLength + shard, bytes.length);
  Atomics.compareExchange(words, CONTROL.failed, 0, shard + 1);
  Atomics.notify(words, CONTROL.done);
  Atomics.notify(words, CONTROL.barrierGeneration);
}

/** The recorded failure of `shard`, or '' when it recorded none. */
export function readFailure(control: SharedArrayBuffer, shard: number): string {
  const length = Atomics.load(new Int32Array(control), CONTROL.errorLength + shard);
  return new TextDecoder().decode(new Uint8Array(control, errorOffset(shard), length).slice());
}

/** Thrown inside a shard waiting at the barrier when another shard failed. */
export class ShardAborted extends Error {
  constructor() {
    super('aborted: another shard failed');
  }
}

export interface DataLayout {
  reduceFloats: number;
  outputFloats: number;
}

export function dataBytes(shards: number, layout: DataLayout): number {
  return 4 * (2 * shards * layout.reduceFloats + layout.outputFloats);
}

/** Float32 view of reduce slot (set, shard). */
export function reduceSlot(data: SharedArrayBuffer, shards: number, layout: DataLayout, set: number, shard: number): Float32Array {
  return new Float32Array(data, 4 * (set * shards + shard) * layout.reduceFloats, layout.reduceFloats);
}

export function outputView(data: SharedArrayBuffer, shards: number, layout: DataLayout): Float32Array {
  return new Float32Array(data, 4 * 2 * shards * layout.reduceFloats, layout.outputFloats);
}

/** What the coordinator asks of every shard in the blocking phase (posted on each shard's port). */
export type RunCommand =
  | { kind: 'forward'; ids: Int32Array; batch: number; length: number; padding: Uint8Array }
  | { kind: 'emptyCache'; batch: number; maxLength: number }
  | { kind: 'cached'; ids: Int32Array; batch: number; length: number; start: number }
  | { kind: 'logits'; hidden: Float32Array; rows: number }
  /** Enables LoRA (KerasHub's default targets, query and value) with this shard's slices of the factors. */
  | { kind: 'lora'; rank: number; factors: { index: number; a: Float32Array; aShape: number[]; b: Float32Array; bShape: number[] }[] }
  /** Tests: the worker exits at once (process.exit inside a worker ends only that thread). */
  | { kind: 'crash' };

/** Messages from the coordinator to a shard, on the shard's port. */
export type ToShard =
  | { type: 'assign'; id: number; path: string; shape: number[]; dtype: string; data: ArrayBufferView }
  | { type: 'run'; command: RunCommand; data?: SharedArrayBuffer; layout: DataLayout }
  | { type: 'dispose' };

/** Messages from a shard to the coordinator (asynchronous phase only: loading). */
export type FromShard =
  | { type: 'ready' }
  | { type: 'assigned'; id: number; heldBytes: number }
  | { type: 'error'; id: number; message: string };
