// The loading phase of a ParallelGemmaBackbone: shard readiness, one acknowledged assignment per
// variable slice (so at most one tensor per shard is in flight), and shard deaths reported by the
// supervisor while the coordinator awaits; plus stopping the supervisor (and with it the shards).
import type { MessagePort, Worker } from 'node:worker_threads';
import { TensorzooError } from '@tensorzoo/core';
import type { FromShard, ToShard } from './shard-protocol.js';

export async function stopSupervisor(supervisor: Worker): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    timer.unref?.();
    supervisor.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    supervisor.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    supervisor.postMessage({ type: 'stop' });
  });
  await supervisor.terminate();
}

/** The asynchronous loading phase: readiness, assignments with acknowledgements, deaths reported by the supervisor. */
export class ShardLoader {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (held: number) => void; reject: (error: Error) => void; shard: number; what: string; bytes: number }>();
  private readonly readyShards = new Set<number>();
  private readyWaiter: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly held: number[];

  constructor(
    private readonly ports: MessagePort[],
    private readonly supervisor: Worker,
    shards: number,
  ) {
    this.held = new Array<number>(shards).fill(0);
    ports.forEach((port, shard) => port.on('message', (message: FromShard) => this.onMessage(shard, message)));
    supervisor.on('message', this.onSupervisor);
    supervisor.on('error', this.onSupervisorError);
  }

  private readonly onSupervisor = (message: { type: string; shard?: number; message?: string }) => {
    if (message.type !== 'shard-failed') return;
    const shard = message.shard!;
    const inFlight = [...this.pending.values()].find((entry) => entry.shard === shard);
    const context = inFlight ? ` while receiving ${inFlight.what} (${inFlight.bytes} bytes; it held ${this.held[shard]} bytes)` : ` (it held ${this.held[shard]} bytes)`;
    this.fail(new TensorzooError(`${message.message}${context}`));
  };

  private readonly onSupervisorError = (error: Error) => this.fail(new TensorzooError(`ModelParallel: the shard supervisor failed: ${error.message}`));

  private fail(error: Error): void {
    this.failure ??= error;
    for (const entry of this.pending.values()) entry.reject(this.failure);
    this.pending.clear();
    this.readyWaiter?.reject(this.failure);
    this.readyWaiter = null;
  }

  private onMessage(shard: number, message: FromShard): void {
    if (message.type === 'ready') {
      this.readyShards.add(shard);
      if (this.readyShards.size === this.ports.length) this.readyWaiter?.resolve();
      return;
    }
    if (message.type === 'error' && message.id === -1) return this.fail(new TensorzooError(message.message));
    const entry = this.pending.get(message.id);
    if (!entry) return;
    this.pending.delete(message.id);
    if (message.type === 'assigned') {
      this.held[shard] = message.heldBytes;
      entry.resolve(message.heldBytes);
    } else entry.reject(new TensorzooError(`${message.message}, while receiving ${entry.what} (${entry.bytes} bytes)`));
  }

  ready(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.readyShards.size === this.ports.length) return Promise.resolve();
    return new Promise((resolve, reject) => (this.readyWaiter = { resolve, reject }));
  }

  assign(shard: number, value: { path: string; shape: number[]; dtype: string; data: Float32Array | Uint16Array | Int8Array }, source: string): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const what = `${value.path} [${value.shape.join(', ')}] ${value.dtype} from ${source}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, shard, what, bytes: value.data.byteLength });
      this.ports[shard]!.postMessage({ type: 'assign', id, ...value } satisfies ToShard, [value.data.buffer as ArrayBuffer]);
    });
  }

  close(): void {
    // Unreferenced, so that an idle model never keeps the process alive.
    for (const port of this.ports) {
      port.removeAllListeners('message');
      port.unref();
    }
    this.supervisor.off('message', this.onSupervisor);
    this.supervisor.off('error', this.onSupervisorError);
  }
}
