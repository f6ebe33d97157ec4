// The source of a pool worker, as a string: it runs from `new Worker(source, { eval: true })` in
// Node and from a Blob URL in browsers, so no separate file has to be resolved or bundled. A worker
// instantiates the kernel module over the shared memory, reports ready, then loops: block in
// Atomics.wait on the generation word (after a brief spin), run its [start, end) slice of the posted
// task, decrement `pending` and wake the caller when it reaches zero. It allocates nothing per task.
// Control block layout (Int32Array over a SharedArrayBuffer), shared with thread-pool.ts.
export const CONTROL = {
  generation: 0,
  pending: 1,
  task: 2,
  argumentCount: 3,
  stop: 4,
  failed: 5,
  /** [start, end) pairs, one per thread (thread 0 = the caller). */
  ranges: 16,
  maxThreads: 64,
  /** Byte offset of the Float64Array of task arguments. */
  argumentsByteOffset: 1024,
  maxArguments: 16,
  byteLength: 1024 + 16 * 8,
  /** Checks of the watched word before blocking in Atomics.wait (a brief spin, a few µs). */
  spinChecks: 4000,
} as const;

export const workerSource = `
'use strict';
const C = ${JSON.stringify(CONTROL)};
function start(init, post) {
  const imports = { env: { memory: init.memory, abort() { throw new Error('tensorzoo wasm kernel aborted'); } } };
  const instance = new WebAssembly.Instance(init.module, imports);
  const tasks = init.taskNames.map((name) => instance.exports[name]);
  const control = new Int32Array(init.control, 0, C.ranges + 2 * C.maxThreads);
  const args = new Float64Array(init.control, C.argumentsByteOffset, C.maxArguments);
  const call = new Array(C.maxArguments + 3);
  const me = init.index;
  let seen = Atomics.load(control, C.generation);
  post({ type: 'ready', index: me });
  for (;;) {
    // Kernels of one step follow each other closely: spin briefly for the next task, then block.
    for (let spin = 0; spin < C.spinChecks && Atomics.load(control, C.generation) === seen; spin++);
    Atomics.wait(control, C.generation, seen);
    const generation = Atomics.load(control, C.generation);
    if (generation === seen) continue;
    seen = generation;
    if (Atomics.load(control, C.stop) !== 0) return;
    const begin = control[C.ranges + 2 * me];
    const end = control[C.ranges + 2 * me + 1];
    if (begin < end) {
      try {
        const n = control[C.argumentCount];
        call.length = n + 3;
        for (let i = 0; i < n; i++) call[i] = args[i];
        call[n] = begin;
        call[n + 1] = end;
        call[n + 2] = me;
        tasks[control[C.task]].apply(null, call);
      } catch (error) {
        Atomics.store(control, C.failed, 1);
        post({ type: 'error', index: me, message: String(error && error.stack || error) });
      }
    }
    if (Atomics.sub(control, C.pending, 1) === 1) Atomics.notify(control, C.pending);
  }
}
if (typeof self === 'undefined' && typeof require === 'function') {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, (message) => parentPort.postMessage(message));
} else {
  self.onmessage = (event) => {
    self.onmessage = null;
    start(event.data, (message) => self.postMessage(message));
  };
}
`;
