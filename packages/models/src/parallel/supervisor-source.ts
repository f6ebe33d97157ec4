// The supervisor worker's source, run with `new Worker(source, { eval: true })` so no file has to
// be resolved. It owns the shard workers because a Worker's 'error' and 'exit' events reach only
// the thread that created it, and the coordinator may be blocked in Atomics.wait when a shard
// dies: the supervisor's own event loop stays free, records the death in the control block (the
// first failure per shard) and wakes the coordinator and the other shards.
import { CONTROL } from './shard-protocol.js';

export const supervisorSource = `
'use strict';
const { Worker, parentPort, workerData } = require('node:worker_threads');
const C = ${JSON.stringify(CONTROL)};
const { shardUrl, shards, control, ports, shardConfig, memoryLimitBytes } = workerData;
const words = new Int32Array(control);
let stopping = false;
const failed = new Set();
function fail(shard, message) {
  if (stopping || failed.has(shard)) return;
  failed.add(shard);
  const bytes = new TextEncoder().encode(message).subarray(0, C.errorBytesPerShard);
  const offset = C.errorBase + shard * C.errorBytesPerShard;
  if (Atomics.load(words, C.errorLength + shard) === 0) {
    new Uint8Array(control, offset, C.errorBytesPerShard).set(bytes);
    Atomics.store(words, C.errorLength + shard, bytes.length);
  }
  Atomics.compareExchange(words, C.failed, 0, shard + 1);
  Atomics.notify(words, C.done);
  Atomics.notify(words, C.barrierGeneration);
  parentPort.postMessage({ type: 'shard-failed', shard, message });
}
const workers = [];
for (let shard = 0; shard < shards; shard++) {
  const worker = new Worker(new URL(shardUrl), {
    workerData: { shard, shards, port: ports[shard], control, shardConfig, memoryLimitBytes },
    transferList: [ports[shard]],
  });
  worker.on('error', (error) => {
    const heap = error && error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? ' ran out of JavaScript heap memory' : ' died';
    fail(shard, 'model-parallel shard ' + shard + ' of ' + shards + heap + ': ' + (error && error.message));
  });
  worker.on('exit', (code) => fail(shard, 'model-parallel shard ' + shard + ' of ' + shards + ' exited unexpectedly (exit code ' + code + ')'));
  workers.push(worker);
}
parentPort.on('message', async (message) => {
  if (message.type !== 'stop') return;
  stopping = true;
  await Promise.all(workers.map((worker) => worker.terminate()));
  parentPort.postMessage({ type: 'stopped' });
});
`;
