// Continuous batching for GemmaCausalLM: concurrent sequences share decoder steps. The running
// sequences are the rows of one batched key/value cache ([B, 2, capacity, K, H] per layer, see
// ragged-decode.ts) and each row sits at its own position. Every iteration of the loop
//   1. drops cancelled sequences (their rows leave the cache at once),
//   2. prefills queued prompts, at most `prefillChunk` prompt tokens per iteration (a long prompt
//      is cut into chunks, so it never stalls the running streams for more than one chunk),
//      each in its own one-row cache, which joins the batch when its prompt is done,
//   3. runs one decode step for every running row (one new token each), samples, and lets
//      finished rows leave,
// then yields to the event loop (so sockets are served between steps). New requests therefore
// join between steps and finished ones leave between steps. When nothing runs, no tensor is held.
import { argumentError, slice, tensor, TensorzooError, tidy, type Tensor } from '@tensorzoo/core';
import type { GemmaBackbone } from '../gemma/gemma-backbone.js';
import { appendCacheRows, raggedDecodeStep, resizeCacheCapacity, selectCacheRows } from './ragged-decode.js';
import { getSampler, type Sampler, type SamplerSpec } from './samplers.js';

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface SequenceToken {
  tokenId: number;
  /** 0 for the first generated token. */
  index: number;
  /** The token is one of the request's stopTokenIds (it ends the sequence and carries no text). */
  isStopToken: boolean;
}

export interface SequenceRequest {
  /** Prompt ids, <bos> included. */
  promptIds: readonly number[];
  /** At most this many generated tokens (a stop token counts). */
  maxNewTokens: number;
  /** Per request, so a seeded sampler gives the same tokens whatever else runs. Default greedy. */
  sampler?: SamplerSpec;
  stopTokenIds?: readonly number[];
  /** Every generated token, as it is sampled. Return 'stop' to end the sequence there (a stop string matched). */
  onToken?(token: SequenceToken): 'stop' | void;
}

export interface SequenceResult {
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  tokenIds: number[];
}

export interface SequenceHandle {
  readonly id: number;
  readonly done: Promise<SequenceResult>;
  /** Stops the sequence's work (between steps); `done` resolves with finishReason 'cancelled'. */
  cancel(): void;
}

export interface ContinuousBatchingOptions {
  /** Rows decoded together (running sequences); default 16. */
  maxBatchSize?: number;
  /** Sequences waiting beyond the maxBatchSize rows; submit throws QueueFullError beyond it. Default 64. */
  maxQueue?: number;
  /** Prompt tokens prefilled per iteration; default 64. */
  prefillChunk?: number;
  /** Prompt + generated tokens per sequence; default 1024. */
  contextLength?: number;
  /** The cache grows in steps of this many positions; default 64. */
  capacityStep?: number;
}

export interface BatchingStats {
  running: number;
  prefilling: number;
  queued: number;
  /** Decode steps run so far, and the rows they decoded in total (rows / steps = mean batch). */
  decodeSteps: number;
  decodedRows: number;
  largestBatch: number;
}

/** Thrown by submit when maxQueue sequences already wait. */
export class QueueFullError extends TensorzooError {
  override name = 'QueueFullError';
}

interface Sequence {
  id: number;
  request: SequenceRequest;
  sampler: Sampler;
  stops: Set<number>;
  generated: number[];
  /** Tokens whose keys/values are in the cache. */
  cached: number;
  /** Own one-row cache while prefilling. */
  rowCache: Tensor[] | null;
  cancelled: boolean;
  resolve(result: SequenceResult): void;
  reject(error: unknown): void;
}

const defer: (callback: () => void) => void = typeof setImmediate === 'function' ? (callback) => setImmediate(callback) : (callback) => setTimeout(callback, 0);

export class ContinuousBatchingEngine {
  readonly backbone: GemmaBackbone;
  readonly maxBatchSize: number;
  readonly maxQueue: number;
  readonly prefillChunk: number;
  readonly contextLength: number;
  readonly capacityStep: number;
  private readonly queue: Sequence[] = [];
  private prefilling: Sequence | null = null;
  private rows: Sequence[] = [];
  private cache: Tensor[] | null = null;
  private scheduled = false;
  private closed = false;
  private nextId = 1;
  private counters = { decodeSteps: 0, decodedRows: 0, largestBatch: 0 };

  constructor(backbone: GemmaBackbone, options: ContinuousBatchingOptions = {}) {
    this.backbone = backbone;
    this.maxBatchSize = positiveInteger('maxBatchSize', options.maxBatchSize ?? 16);
    this.maxQueue = nonNegativeInteger('maxQueue', options.maxQueue ?? 64);
    this.prefillChunk = positiveInteger('prefillChunk', options.prefillChunk ?? 64);
    this.contextLength = positiveInteger('contextLength', options.contextLength ?? 1024);
    this.capacityStep = positiveInteger('capacityStep', options.capacityStep ?? 64);
  }

  get stats(): BatchingStats {
    return { running: this.rows.length, prefilling: this.prefilling ? 1 : 0, queued: this.queue.length, ...this.counters };
  }

  /** Queues a sequence. Throws (before queueing anything) on bad ids or lengths, or QueueFullError. */
  submit(request: SequenceRequest): SequenceHandle {
    if (this.closed) throw new TensorzooError('ContinuousBatchingEngine.submit: the engine is closed');
    const prompt = request?.promptIds;
    const vocabulary = this.backbone.config.vocabularySize;
    if (!Array.isArray(prompt) || prompt.length === 0) argumentError('ContinuousBatchingEngine.submit', 'promptIds', 'a non-empty array of token ids', String(prompt));
    for (const id of prompt)
      if (!Number.isInteger(id) || id < 0 || id >= vocabulary) argumentError('ContinuousBatchingEngine.submit', 'promptIds', `ids in [0, ${vocabulary - 1}]`, String(id));
    if (prompt.length >= this.contextLength)
      argumentError('ContinuousBatchingEngine.submit', 'promptIds', `fewer than ${this.contextLength} tokens (the context length, room for one new token)`, `${prompt.length} tokens`);
    if (!Number.isInteger(request.maxNewTokens) || request.maxNewTokens < 1) argumentError('ContinuousBatchingEngine.submit', 'maxNewTokens', 'a positive integer', String(request.maxNewTokens));
    const waiting = this.queue.length + (this.prefilling ? 1 : 0) + this.rows.length - this.maxBatchSize;
    if (waiting >= this.maxQueue)
      throw new QueueFullError(`ContinuousBatchingEngine.submit: the queue is full (${this.rows.length} sequences run, ${this.queue.length} wait; at most ${this.maxBatchSize} + ${this.maxQueue})`);
    const sampler = getSampler(request.sampler ?? 'greedy');
    let resolve!: (result: SequenceResult) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<SequenceResult>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const sequence: Sequence = {
      id: this.nextId++, request, sampler, stops: new Set(request.stopTokenIds ?? []), generated: [], cached: 0, rowCache: null, cancelled: false, resolve, reject,
    };
    this.queue.push(sequence);
    this.schedule();
    return {
      id: sequence.id,
      done,
      cancel: () => {
        if (sequence.cancelled) return;
        sequence.cancelled = true;
        this.schedule();
      },
    };
  }

  /** Cancels every sequence; later submits throw. */
  close(): void {
    this.closed = true;
    for (const sequence of [...this.queue, ...this.rows, ...(this.prefilling ? [this.prefilling] : [])]) sequence.cancelled = true;
    this.iterate();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    defer(() => {
      this.scheduled = false;
      this.iterate();
      if (this.queue.length || this.prefilling || this.rows.length) this.schedule();
    });
  }

  private iterate(): void {
    this.dropCancelled();
    const joined = this.prefillSome();
    if (joined.length) {
      this.cache = appendCacheRows(this.cache, joined.map((sequence) => sequence.rowCache!));
      for (const sequence of joined) sequence.rowCache = null;
      this.rows.push(...joined);
    }
    if (this.rows.length) this.decodeStep();
  }

  private finish(sequence: Sequence, finishReason: FinishReason): void {
    sequence.resolve({ finishReason, promptTokens: sequence.request.promptIds.length, completionTokens: sequence.generated.length, tokenIds: [...sequence.generated] });
  }

  private dropCancelled(): void {
    for (let index = this.queue.length - 1; index >= 0; index--)
      if (this.queue[index]!.cancelled) this.finish(this.queue.splice(index, 1)[0]!, 'cancelled');
    if (this.prefilling?.cancelled) {
      for (const layer of this.prefilling.rowCache ?? []) layer.dispose();
      this.finish(this.prefilling, 'cancelled');
      this.prefilling = null;
    }
    if (this.rows.some((sequence) => sequence.cancelled)) {
      for (const sequence of this.rows) if (sequence.cancelled) this.finish(sequence, 'cancelled');
      this.keepRows(this.rows.filter((sequence) => !sequence.cancelled));
    }
  }

  /** Keeps these rows (a subset of this.rows, in order) in the batch and the cache. */
  private keepRows(kept: Sequence[]): void {
    if (kept.length === this.rows.length) return;
    if (kept.length === 0) {
      for (const layer of this.cache ?? []) layer.dispose();
      this.cache = null;
    } else this.cache = selectCacheRows(this.cache!, kept.map((sequence) => this.rows.indexOf(sequence)));
    this.rows = kept;
  }

  /** Prefills up to prefillChunk prompt tokens; returns the sequences whose prompt is done and that keep running. */
  private prefillSome(): Sequence[] {
    const joined: Sequence[] = [];
    let budget = this.prefillChunk;
    while (budget > 0) {
      if (!this.prefilling) {
        if (!this.queue.length || this.rows.length + joined.length >= this.maxBatchSize) break;
        this.prefilling = this.queue.shift()!;
      }
      const sequence = this.prefilling;
      const prompt = sequence.request.promptIds;
      const length = Math.min(budget, prompt.length - sequence.cached);
      budget -= length;
      try {
        sequence.rowCache ??= this.backbone.emptyCache(1, roundUp(prompt.length, 16));
        const logits = this.prefillChunkLogits(sequence, prompt.slice(sequence.cached, sequence.cached + length));
        sequence.cached += length;
        if (sequence.cached < prompt.length) continue;
        this.prefilling = null;
        if (this.accept(sequence, logits)) joined.push(sequence);
        else for (const layer of sequence.rowCache ?? []) layer.dispose();
      } catch (error) {
        for (const layer of sequence.rowCache ?? []) layer.dispose();
        sequence.rowCache = null;
        this.prefilling = null;
        sequence.reject(error);
      }
    }
    return joined;
  }

  /** Runs prompt tokens through the sequence's own cache; the last position's logits [V] when the prompt is done. */
  private prefillChunkLogits(sequence: Sequence, ids: number[]): Float32Array | null {
    const input = tensor([ids], undefined, 'int32');
    const { hiddenStates, cache } = this.backbone.callWithCache(input, sequence.rowCache!, sequence.cached);
    input.dispose();
    for (const layer of sequence.rowCache!) layer.dispose();
    sequence.rowCache = cache;
    try {
      if (sequence.cached + ids.length < sequence.request.promptIds.length) return null;
      const [, length, hidden] = hiddenStates.shape as [number, number, number];
      const logits = tidy(() => this.backbone.logits(slice(hiddenStates, [0, length - 1, 0], [1, 1, hidden])));
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      return values;
    } finally {
      hiddenStates.dispose();
    }
  }

  /** Samples the next token from logits; false when the sequence finished (it was resolved). */
  private accept(sequence: Sequence, logits: Float32Array | null): boolean {
    if (sequence.cancelled) {
      this.finish(sequence, 'cancelled');
      return false;
    }
    const tokenId = sequence.sampler.nextToken(logits!);
    sequence.generated.push(tokenId);
    const isStopToken = sequence.stops.has(tokenId);
    let verdict: 'stop' | void;
    try {
      verdict = sequence.request.onToken?.({ tokenId, index: sequence.generated.length - 1, isStopToken });
    } catch {
      // The consumer is gone (e.g. its socket closed while writing): stop its work.
      sequence.cancelled = true;
      this.finish(sequence, 'cancelled');
      return false;
    }
    if (isStopToken || verdict === 'stop') this.finish(sequence, 'stop');
    else if (sequence.generated.length >= sequence.request.maxNewTokens || sequence.request.promptIds.length + sequence.generated.length >= this.contextLength)
      this.finish(sequence, 'length');
    else return true;
    return false;
  }

  private decodeStep(): void {
    const rows = this.rows;
    const positions = rows.map((sequence) => sequence.cached);
    const needed = Math.max(...positions) + 1;
    const capacity = this.cache![0]!.shape[2]!;
    // Grow in steps (every row is copied on a resize); shrink once the longest row is far below.
    if (needed > capacity || capacity - needed > 2 * this.capacityStep)
      this.cache = resizeCacheCapacity(this.cache!, Math.min(this.contextLength, roundUp(needed + this.capacityStep / 2, this.capacityStep)));
    let logits: Float32Array;
    try {
      const step = raggedDecodeStep(this.backbone, rows.map((sequence) => sequence.generated[sequence.generated.length - 1]!), positions, this.cache!);
      for (const layer of this.cache!) layer.dispose();
      this.cache = step.cache;
      logits = step.logits;
    } catch (error) {
      for (const layer of this.cache ?? []) layer.dispose();
      this.cache = null;
      this.rows = [];
      for (const sequence of rows) sequence.reject(error);
      return;
    }
    this.counters.decodeSteps++;
    this.counters.decodedRows += rows.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, rows.length);
    const vocabulary = this.backbone.config.vocabularySize;
    const kept = rows.filter((sequence, row) => {
      sequence.cached++;
      return this.accept(sequence, logits.subarray(row * vocabulary, (row + 1) * vocabulary));
    });
    this.keepRows(kept);
  }
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) argumentError('ContinuousBatchingEngine', name, 'a positive integer', String(value));
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) argumentError('ContinuousBatchingEngine', name, 'a non-negative integer', String(value));
  return value;
}
