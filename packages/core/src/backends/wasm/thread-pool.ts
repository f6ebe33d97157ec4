// A pool of worker threads (worker_threads in Node, Web Workers in browsers) sharing the backend's
// WebAssembly.Memory. The calling thread is thread 0: `run` posts a task, wakes the workers, does
// its own slice, then blocks in Atomics.wait until the last worker decrements `pending`, after a
// brief spin (CONTROL.spinChecks): a long spin would steal a core on a 2-core machine.
import { TensorzooError } from '../../errors.js';
import { CONTROL, workerSource } from './worker-source.js';

interface PoolWorker {
  terminate(): unknown;
}

interface NodeWorkerClass {
  new (source: string, options: { eval: true; workerData: unknown }): PoolWorker & {
    on(event: string, listener: (value: any) => void): void;
    unref(): void;
  };
}

export interface ThreadPoolInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  taskNames: readonly string[];
}

async function loadNodeWorker(): Promise<NodeWorkerClass | null> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) return null;
  const specifier = 'node:worker_threads';
  const module = (await import(/* @vite-ignore */ specifier)) as { Worker: NodeWorkerClass };
  return module.Worker;
}

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly args: Float64Array;
  private errors: string[] = [];
  private terminated = false;
  /** Set when a worker exits or fails outside a task: waiting for it would hang forever. */
  private lost: string | null = null;

  private constructor(
    readonly threads: number,
    private readonly workers: PoolWorker[],
    controlBuffer: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(controlBuffer, 0, CONTROL.ranges + 2 * CONTROL.maxThreads);
    this.args = new Float64Array(controlBuffer, CONTROL.argumentsByteOffset, CONTROL.maxArguments);
  }

  /** Starts `threads - 1` workers and resolves once each has instantiated the module. */
  static async create(init: ThreadPoolInit, threads: number): Promise<ThreadPool> {
    if (!Number.isInteger(threads) || threads < 2 || threads > CONTROL.maxThreads)
      throw new TensorzooError(`ThreadPool: argument 'threads' expected an integer in [2, ${CONTROL.maxThreads}], received ${threads}`);
    const controlBuffer = new SharedArrayBuffer(CONTROL.byteLength);
    const NodeWorker = await loadNodeWorker();
    const workers: PoolWorker[] = [];
    const pool = new ThreadPool(threads, workers, controlBuffer);
    const ready: Promise<void>[] = [];
    for (let index = 1; index < threads; index++) {
      const data = { module: init.module, memory: init.memory, control: controlBuffer, taskNames: init.taskNames, index };
      ready.push(
        new Promise<void>((resolve, reject) => {
          let markReady = () => {};
          const onMessage = (message: { type: string; message?: string }) => {
            if (message.type === 'ready') {
              markReady();
              resolve();
            }
            else if (message.type === 'error') pool.errors.push(message.message ?? 'unknown error');
          };
          if (NodeWorker) {
            const worker = new NodeWorker(workerSource, { eval: true, workerData: data });
            worker.on('message', onMessage);
            worker.on('error', (error: Error) => {
              pool.errors.push(error.message);
              pool.lost ??= `worker ${index} failed: ${error.message}`;
              reject(error);
            });
            worker.on('exit', (code: number) => {
              if (!pool.terminated) pool.lost ??= `worker ${index} exited (code ${code})`;
            });
            // Referenced while starting (so the ready message is awaited), then unreferenced: an idle
            // pool must not keep the process alive.
            markReady = () => worker.unref();
            workers.push(worker);
          } else {
            const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
            const worker = new Worker(url);
            worker.onmessage = (event) => onMessage(event.data);
            worker.onerror = (event) => {
              pool.lost ??= `worker ${index} failed: ${event.message}`;
              reject(new TensorzooError(`wasm thread pool: worker failed to start: ${event.message}`));
            };
            worker.postMessage(data);
            workers.push(worker);
          }
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      pool.terminate();
      throw new TensorzooError(`wasm thread pool: could not start ${threads - 1} workers: ${(error as Error).message}`);
    }
    return pool;
  }

  /**
   * Runs task `taskIndex` over [0, count): thread t gets one contiguous range, a multiple of
   * `align` long (except the last), and is called as task(...args, start, end, t).
   */
  run(taskIndex: number, task: (...values: number[]) => void, args: readonly number[], count: number, align = 1): void {
    if (this.terminated) throw new TensorzooError('wasm thread pool: used after it was terminated');
    if (this.lost) throw new TensorzooError(`wasm thread pool: ${this.lost}; call setWasmThreads again to restart the pool`);
    const control = this.control;
    const chunk = Math.ceil(Math.ceil(count / this.threads) / align) * align;
    for (let thread = 0; thread < this.threads; thread++) {
      control[CONTROL.ranges + 2 * thread] = Math.min(count, thread * chunk);
      control[CONTROL.ranges + 2 * thread + 1] = Math.min(count, (thread + 1) * chunk);
    }
    if (args.length > CONTROL.maxArguments) throw new TensorzooError(`wasm thread pool: a task takes at most ${CONTROL.maxArguments} arguments, received ${args.length}`);
    for (let index = 0; index < args.length; index++) this.args[index] = args[index]!;
    control[CONTROL.task] = taskIndex;
    control[CONTROL.argumentCount] = args.length;
    Atomics.store(control, CONTROL.pending, this.threads - 1);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
    let ownError: unknown = null;
    try {
      if (chunk > 0) task(...args, 0, Math.min(count, chunk), 0);
    } catch (error) {
      ownError = error;
    }
    // Spin briefly first (a worker on another core finishes within microseconds of the caller),
    // then block: a long spin would steal the core of a worker that is not running yet.
    for (let spin = 0; spin < CONTROL.spinChecks && Atomics.load(control, CONTROL.pending) !== 0; spin++);
    for (;;) {
      const pending = Atomics.load(control, CONTROL.pending);
      if (pending === 0) break;
      // Blocks (no spinning). Worker exit events arrive through the event loop, which does not run
      // while this thread waits, so `lost` is mostly caught at the next run(); the timeout re-checks
      // it in case the event was delivered before this task started.
      if (Atomics.wait(control, CONTROL.pending, pending, 2000) === 'timed-out' && this.lost)
        throw new TensorzooError(`wasm thread pool: ${this.lost} while running a task`);
    }
    if (ownError) throw ownError;
    if (Atomics.load(control, CONTROL.failed) !== 0) {
      Atomics.store(control, CONTROL.failed, 0);
      throw new TensorzooError(`wasm thread pool: a worker failed: ${this.errors.splice(0).join('; ') || 'see the worker error output'}`);
    }
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    Atomics.store(this.control, CONTROL.stop, 1);
    Atomics.add(this.control, CONTROL.generation, 1);
    Atomics.notify(this.control, CONTROL.generation);
    for (const worker of this.workers) void worker.terminate();
  }
}
