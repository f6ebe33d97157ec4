// A shard worker: its own module instances of core, layers and models, so its own engine and its
// own wasm backend (one WebAssembly.Memory, up to 4 GiB, one thread). It holds one ShardModel,
// receives its variables' slices from the coordinator while loading (asynchronous messages on its
// port, each acknowledged so that at most one tensor per shard is in flight), then runs commands:
// the coordinator posts a command on every shard's port and blocks until all shards counted
// themselves DONE in the control block (or one FAILED). Every failure is recorded with the shard
// number and, for memory, the bytes asked for and held.
import { workerData, type MessagePort } from 'node:worker_threads';
import { engine, setBackend, tensor, type DType } from '@tensorzoo/core';
import { setWasmThreads, WasmBackend } from '@tensorzoo/core/backends/wasm';
import { ShardModel } from './shard-model.js';
import { collectAfterBytes, collectGarbage } from './shard-memory.js';
import { CONTROL, outputView, recordFailure, reduceSlot, ShardAborted, type DataLayout, type FromShard, type RunCommand, type ToShard } from './shard-protocol.js';
import type { GemmaBackboneConfig } from '../gemma/gemma-config.js';

interface ShardWorkerData {
  shard: number;
  shards: number;
  port: MessagePort;
  control: SharedArrayBuffer;
  shardConfig: GemmaBackboneConfig;
  /** Caps this shard's WebAssembly memory (bytes); default the wasm32 limit, 4 GiB. */
  memoryLimitBytes: number | null;
}

const { shard, shards, port, control, shardConfig, memoryLimitBytes } = workerData as ShardWorkerData;
const words = new Int32Array(control);
let data: SharedArrayBuffer | null = null;
let layout: DataLayout = { reduceFloats: 0, outputFloats: 0 };
let reduceCount = 0;

function barrier(): void {
  const generation = Atomics.load(words, CONTROL.barrierGeneration);
  if (Atomics.add(words, CONTROL.barrierCount, 1) === shards - 1) {
    Atomics.store(words, CONTROL.barrierCount, 0);
    Atomics.add(words, CONTROL.barrierGeneration, 1);
    Atomics.notify(words, CONTROL.barrierGeneration);
    return;
  }
  while (Atomics.load(words, CONTROL.barrierGeneration) === generation) {
    if (Atomics.load(words, CONTROL.failed) !== 0) throw new ShardAborted();
    Atomics.wait(words, CONTROL.barrierGeneration, generation, 1000);
  }
}

/** The all-reduce: write this shard's partial, meet the others, sum all slots in shard order. */
function reduce(partial: import('@tensorzoo/core').Tensor, op: 'sum' | 'max' = 'sum'): import('@tensorzoo/core').Tensor {
  if (shards === 1) return partial;
  const values = partial.dataSync() as Float32Array;
  if (values.length > layout.reduceFloats) throw new Error(`reduce of ${values.length} floats exceeds the ${layout.reduceFloats} the coordinator sized`);
  const set = reduceCount++ % 2;
  reduceSlot(data!, shards, layout, set, shard).set(values);
  barrier();
  // The same order on every shard, so every shard continues from the same bits.
  const sum = new Float32Array(values.length);
  sum.set(reduceSlot(data!, shards, layout, set, 0).subarray(0, values.length));
  for (let other = 1; other < shards; other++) {
    const slot = reduceSlot(data!, shards, layout, set, other);
    if (op === 'max') for (let index = 0; index < sum.length; index++) sum[index] = Math.max(sum[index]!, slot[index]!);
    else for (let index = 0; index < sum.length; index++) sum[index] += slot[index]!;
  }
  return tensor(sum, partial.shape, 'float32');
}

function heldBytes(): number {
  const backend = engine.findBackend('wasm');
  return backend instanceof WasmBackend ? backend.allocator.stats().allocatedBytes : 0;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const memory = /WebAssembly memory|out of memory|Array buffer allocation failed|could not grow/i.test(message);
  return `model-parallel shard ${shard} of ${shards}${memory ? ' ran out of memory' : ' failed'}: ${message} (the shard held ${heldBytes()} bytes in its WebAssembly memory)`;
}

function run(model: ShardModel, command: RunCommand): void {
  const output = outputView(data!, shards, layout);
  switch (command.kind) {
    case 'forward': {
      const hidden = model.forward(command.ids, command.batch, command.length, command.padding);
      if (shard === 0) output.set(hidden);
      return;
    }
    case 'emptyCache':
      model.emptyCache(command.batch, command.maxLength);
      return;
    case 'cached': {
      const hidden = model.forwardCached(command.ids, command.batch, command.length, command.start);
      if (shard === 0) output.set(hidden);
      return;
    }
    case 'logits': {
      // Rows of the full [rows, V]: this shard's columns [shard V/S, (shard + 1) V/S).
      const local = model.logits(command.hidden, command.rows);
      const columns = local.length / command.rows;
      const width = columns * shards;
      for (let row = 0; row < command.rows; row++) output.set(local.subarray(row * columns, (row + 1) * columns), row * width + shard * columns);
      return;
    }
    case 'lora':
      model.loadLora(command.rank, command.factors);
      return;
    case 'crash':
      process.exit(70);
  }
}

async function main(): Promise<void> {
  await setWasmThreads(1);
  await setBackend('wasm');
  const backend = engine.findBackend('wasm');
  if (memoryLimitBytes !== null && backend instanceof WasmBackend) {
    // The allocator refuses (naming the bytes) any block that would pass its limit.
    const allocator = backend.allocator as unknown as { limit: number; base: number };
    allocator.limit = Math.min(allocator.limit, allocator.base + memoryLimitBytes);
  }
  const model = new ShardModel(shard, shards, shardConfig, reduce);
  const byPath = new Map(model.backbone.weights.map((variable) => [variable.path, variable]));
  const reply = (message: FromShard) => port.postMessage(message);

  port.on('message', (message: ToShard) => {
    if (message.type === 'assign') {
      try {
        const variable = byPath.get(message.path);
        if (!variable) throw new Error(`the shard model has no variable ${message.path}`);
        const value = tensor(message.data as never, message.shape, message.dtype as DType);
        try {
          variable.assign(value);
        } finally {
          value.dispose();
        }
        const large = message.data.byteLength >= collectAfterBytes;
        reply({ type: 'assigned', id: message.id, heldBytes: heldBytes() });
        // After this handler returns, nothing references the slice (see collectGarbage).
        if (large) setImmediate(collectGarbage);
      } catch (error) {
        reply({ type: 'error', id: message.id, message: describe(error) });
      }
      return;
    }
    if (message.type === 'run') {
      if (message.data) data = message.data;
      layout = message.layout;
      try {
        run(model, message.command);
        Atomics.add(words, CONTROL.done, 1);
        Atomics.notify(words, CONTROL.done);
      } catch (error) {
        // A shard stopped by another's failure leaves the first failure as the one reported.
        if (!(error instanceof ShardAborted)) recordFailure(control, shard, describe(error));
        Atomics.notify(words, CONTROL.done);
      }
      return;
    }
    if (message.type === 'dispose') {
      model.dispose();
      port.close();
    }
  });
  reply({ type: 'ready' });
}

main().catch((error) => {
  recordFailure(control, shard, describe(error));
  port.postMessage({ type: 'error', id: -1, message: describe(error) } satisfies FromShard);
});
