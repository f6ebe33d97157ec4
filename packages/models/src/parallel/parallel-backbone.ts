// ParallelGemmaBackbone: a GemmaBackbone executed tensor-parallel by wasm shard workers, each with
// its own WebAssembly memory, as a ModelParallel distribution places the variables (shard-plan.ts).
// The coordinator (this object, on the caller's thread) streams the weights into the shards while
// loading, then runs every call synchronously: it posts one command to each shard and blocks in
// Atomics.wait until all shards are DONE or one FAILED. Shards meet at an all-reduce through a
// SharedArrayBuffer three times a layer call site (embedding, attention_output, ffw_linear); the
// coordinator only sees token ids in and hidden states or logits out.
//
// It answers what GemmaCausalLM asks of a backbone (config, call, callWithCache, emptyCache,
// logits), so generate, score and call work unchanged. The key/value cache lives in the shards,
// split by heads; the tensors emptyCache/callWithCache return are handles ([B, 2, S_max, 0]) for
// the latest cache, which is the only one the shards keep.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { TensorzooError, argumentError, tensor, type Tensor } from '@tensorzoo/core';
import { ModelParallel } from '../distribution/index.js';
import { GemmaBackbone, type CachedForward, type GemmaInputs, type IdsInput } from '../gemma/gemma-backbone.js';
import { resolveGemmaConfig, type ResolvedGemmaConfig } from '../gemma/gemma-config.js';
import { checkPresetConfigBeforeBuild } from '../gemma/config-checks.js';
import { convertTransformersConfig, detectPresetFormat, readKerasBackboneConfig, type LoadOptions } from '../gemma/gemma-loader.js';
import { checkPaddingValues, checkSequenceLength, checkTokenIdRows } from '../gemma/input-checks.js';
import { checkShardMemory, collectAfterBytes, collectGarbage, shardMemory } from './shard-memory.js';
import { placeVariable, planShards, sliceAlong, type ShardPlan, type VariablePlacement } from './shard-plan.js';
import { CONTROL, controlBytes, dataBytes, outputView, readFailure, type DataLayout, type RunCommand, type ToShard } from './shard-protocol.js';
import { supervisorSource } from './supervisor-source.js';
import { ShardLoader, stopSupervisor } from './shard-loader.js';
import { streamPresetWeights } from './weight-stream.js';
import { readLoraWeights } from '../io/index.js';
import { defaultLoraLayerNames, weightedLayers } from '../gemma/gemma-lora.js';

export interface ParallelLoadOptions extends LoadOptions {
  distribution: ModelParallel;
  /** Caps each shard's WebAssembly memory in bytes (default 4 GiB, the wasm32 limit). */
  shardMemoryLimitBytes?: number;
}

const wasm32Limit = 2 ** 32;

/** The compiled shard worker: beside this file in dist/, or dist/parallel/ when running from src/ (tests). */
function shardWorkerUrl(): URL {
  const here = new URL('./shard-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  const built = new URL('../../dist/parallel/shard-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(built)))
    throw new TensorzooError(`ModelParallel: the shard worker ${fileURLToPath(built)} is missing: build @tensorzoo/models first (npx tsc -p tsconfig.build.json)`);
  return built;
}

export class ParallelGemmaBackbone {
  readonly config: ResolvedGemmaConfig;
  readonly plan: ShardPlan;
  readonly distribution: ModelParallel;
  /** Bytes of weights each shard holds after loading. */
  readonly shardWeightBytes: number[];
  private readonly control: SharedArrayBuffer;
  private readonly words: Int32Array;
  private data: SharedArrayBuffer | null = null;
  private layout: DataLayout = { reduceFloats: 0, outputFloats: 0 };
  private failure: string | null = null;
  private disposed = false;
  private currentCache: Tensor | null = null;

  private constructor(
    config: ResolvedGemmaConfig,
    plan: ShardPlan,
    distribution: ModelParallel,
    private readonly supervisor: Worker,
    private readonly ports: MessagePort[],
    control: SharedArrayBuffer,
    shardWeightBytes: number[],
  ) {
    this.config = config;
    this.plan = plan;
    this.distribution = distribution;
    this.control = control;
    this.words = new Int32Array(control);
    this.shardWeightBytes = shardWeightBytes;
  }

  get shards(): number {
    return this.plan.shards;
  }

  /** Loads a local preset folder into shard workers (see ParallelLoadOptions). */
  static async load(folder: string, options: ParallelLoadOptions): Promise<ParallelGemmaBackbone> {
    const { distribution } = options;
    if (!(distribution instanceof ModelParallel))
      argumentError('fromPreset', 'distribution', 'a ModelParallel (new ModelParallel({ layoutMap, batchDimName }))', (distribution as unknown as object)?.constructor?.name ?? String(distribution));
    const { format, config: rawConfig } = await detectPresetFormat(folder);
    const configFile = `${folder}/config.json`;
    const stored = format === 'keras' ? readKerasBackboneConfig(rawConfig, configFile) : convertTransformersConfig(rawConfig, configFile);
    if (options.loadWeights === false) throw new TensorzooError('ModelParallel: loadWeights: false is not supported with a distribution (the shards are filled from the preset)');
    if (options.quantize !== undefined)
      throw new TensorzooError(`ModelParallel: quantize: '${options.quantize}' on load is not supported with a distribution; quantize the preset first (tensorzoo quantize) and load the quantized preset`);
    await checkPresetConfigBeforeBuild({ ...stored, ...options.config }, folder, format, configFile, true);
    const config = resolveGemmaConfig({ ...stored, ...options.config, dtype: options.dtype ?? options.config?.dtype ?? 'float32' });
    const plan = planShards(config, distribution);

    // The full model's variables, never materialized (variables are lazy): paths, shapes, dtypes.
    const full = new GemmaBackbone(config);
    const placements = new Map<string, VariablePlacement & { dtype: string }>();
    for (const variable of full.weights) placements.set(variable.path, { ...placeVariable(plan, distribution, variable.path, variable.shape), dtype: variable.dtype });
    const limit = options.shardMemoryLimitBytes ?? wasm32Limit;
    checkShardMemory(`ModelParallel (${folder})`, plan, shardMemory([...placements.values()], plan.shards), limit);

    const control = new SharedArrayBuffer(controlBytes(plan.shards));
    const channels = Array.from({ length: plan.shards }, () => new MessageChannel());
    const supervisor = new Worker(supervisorSource, {
      eval: true,
      workerData: {
        shardUrl: shardWorkerUrl().href,
        shards: plan.shards,
        control,
        ports: channels.map((channel) => channel.port2),
        shardConfig: plan.shardConfig,
        memoryLimitBytes: options.shardMemoryLimitBytes ?? null,
      },
      transferList: channels.map((channel) => channel.port2),
    });
    supervisor.unref();
    const ports = channels.map((channel) => channel.port1);
    const loader = new ShardLoader(ports, supervisor, plan.shards);
    const shardWeightBytes = new Array<number>(plan.shards).fill(0);
    try {
      await loader.ready();
      let index = 0;
      const total = placements.size;
      for await (const host of streamPresetWeights(full, folder, format)) {
        const placement = placements.get(host.path);
        if (!placement) throw new TensorzooError(`ModelParallel: ${host.path} (${host.source}) is not a variable of the model`);
        // One slice per shard, each sent (transferred) and acknowledged before the next tensor is read.
        await Promise.all(
          placement.slices.map(async (slice, shard) => {
            const data = sliceAlong(host.data, host.shape, placement.axis, slice.start, slice.length);
            const shape = placement.axis === null ? host.shape : host.shape.map((size, axis) => (axis === placement.axis ? slice.length : size));
            shardWeightBytes[shard] = await loader.assign(shard, { path: host.path, shape, dtype: host.dtype, data }, host.source);
          }),
        );
        index++;
        options.onProgress?.({ label: 'loading weights', loaded: index, total, unit: 'items' });
        // The tensor as read is garbage now (its slices were transferred): free it at once.
        if (host.data.byteLength >= collectAfterBytes) {
          (host as { data: unknown }).data = null;
          collectGarbage();
        }
      }
      if (index !== total) throw new TensorzooError(`ModelParallel: ${folder} gave ${index} of the model's ${total} variables`);
    } catch (error) {
      loader.close();
      await stopSupervisor(supervisor);
      throw error;
    } finally {
      full.dispose();
    }
    loader.close();
    return new ParallelGemmaBackbone(config, plan, distribution, supervisor, ports, control, shardWeightBytes);
  }

  // === Blocking execution ===

  /** Runs `command` on every shard (or commands[shard] on each) and returns the output region. */
  private execute(command: RunCommand | RunCommand[], need: DataLayout): Float32Array {
    if (this.disposed) throw new TensorzooError('ParallelGemmaBackbone: used after dispose()');
    if (this.failure) throw new TensorzooError(`ParallelGemmaBackbone: unusable after an earlier failure (${this.failure}); load the model again`);
    let data: SharedArrayBuffer | undefined;
    if (!this.data || need.reduceFloats > this.layout.reduceFloats || need.outputFloats > this.layout.outputFloats) {
      this.layout = { reduceFloats: Math.max(need.reduceFloats, this.layout.reduceFloats), outputFloats: Math.max(need.outputFloats, this.layout.outputFloats) };
      data = this.data = new SharedArrayBuffer(dataBytes(this.plan.shards, this.layout));
    }
    Atomics.store(this.words, CONTROL.done, 0);
    this.ports.forEach((port, shard) => port.postMessage({ type: 'run', command: Array.isArray(command) ? command[shard]! : command, data, layout: this.layout } satisfies ToShard));
    for (;;) {
      const done = Atomics.load(this.words, CONTROL.done);
      if (Atomics.load(this.words, CONTROL.failed) !== 0) break;
      if (done >= this.plan.shards) return outputView(this.data!, this.plan.shards, this.layout);
      Atomics.wait(this.words, CONTROL.done, done, 1000);
    }
    const shard = Atomics.load(this.words, CONTROL.failed) - 1;
    this.failure = readFailure(this.control, shard) || `model-parallel shard ${shard} of ${this.plan.shards} failed`;
    // A worker that died without a word (exit, JavaScript heap) is described by what it held.
    if (!/held \d+ bytes/.test(this.failure)) this.failure += ` (the shard held ${this.shardWeightBytes[shard] ?? 0} bytes of weights in its WebAssembly memory)`;
    this.stop();
    throw new TensorzooError(this.failure);
  }

  private stop(): void {
    for (const port of this.ports) port.close();
    void stopSupervisor(this.supervisor);
  }

  private ids(value: IdsInput | undefined, argument: string): { ids: Int32Array; batch: number; length: number } {
    if (value === undefined || value === null) argumentError('ParallelGemmaBackbone', argument, 'a [batch, sequence] int32 tensor or nested array', String(value));
    let ids: Int32Array;
    let batch: number;
    let length: number;
    if (typeof value === 'object' && 'shape' in value && 'dtype' in value) {
      const t = value as Tensor;
      if (t.rank !== 2) argumentError('ParallelGemmaBackbone', argument, 'shape [batch, sequence]', `[${t.shape.join(', ')}]`);
      if (t.dtype !== 'int32') argumentError('ParallelGemmaBackbone', argument, 'int32 token ids', t.dtype);
      [batch, length] = t.shape as [number, number];
      ids = Int32Array.from(t.dataSync() as Int32Array);
      for (let index = 0; index < ids.length; index++)
        if (ids[index]! < 0 || ids[index]! >= this.config.vocabularySize)
          argumentError('ParallelGemmaBackbone', argument, `ids in [0, ${this.config.vocabularySize - 1}] (vocabularySize ${this.config.vocabularySize})`, `${ids[index]} at flat position ${index}`);
    } else {
      ({ batch, length } = checkTokenIdRows('ParallelGemmaBackbone', argument, value, this.config.vocabularySize));
      ids = Int32Array.from((value as number[][]).flat());
    }
    return { ids, batch, length };
  }

  /** inputs → final-normalized hidden states [B, T, D] (GemmaBackbone.call). */
  call(inputs: GemmaInputs): Tensor {
    const { ids, batch, length } = this.ids(inputs?.tokenIds, 'tokenIds');
    checkSequenceLength('ParallelGemmaBackbone', 'tokenIds', this.config, { batch, queryLength: length, keyLength: length });
    const padding = new Uint8Array(batch * length).fill(1);
    if (inputs.paddingMask !== undefined && inputs.paddingMask !== null) {
      const mask = inputs.paddingMask;
      const isTensor = typeof mask === 'object' && 'shape' in mask && 'dtype' in mask;
      const values: ArrayLike<number | boolean> = isTensor ? (mask as Tensor).dataSync() : (mask as unknown as (number | boolean)[][]).flat();
      const shape = isTensor ? (mask as Tensor).shape : [(mask as unknown[]).length, ((mask as unknown[][])[0] ?? []).length];
      if (shape.length !== 2 || shape[0] !== batch || shape[1] !== length || values.length !== batch * length)
        argumentError('ParallelGemmaBackbone', 'paddingMask', `shape [${batch}, ${length}] (the shape of tokenIds)`, `[${shape.join(', ')}]`);
      checkPaddingValues('ParallelGemmaBackbone', values as ArrayLike<unknown>, length);
      for (let index = 0; index < padding.length; index++) padding[index] = values[index] ? 1 : 0;
    }
    const D = this.config.hiddenDim;
    const size = batch * length * D;
    const output = this.execute({ kind: 'forward', ids, batch, length, padding }, { reduceFloats: size, outputFloats: size });
    return tensor(output.slice(0, size), [batch, length, D]);
  }

  /** A cache handle per layer ([B, 2, maxLength, 0]); the shards hold the zeroed [B, 2, maxLength, K/S, H] caches. */
  emptyCache(batch: number, maxLength: number): Tensor[] {
    if (!Number.isSafeInteger(batch) || batch < 1) argumentError('ParallelGemmaBackbone.emptyCache', 'batch', 'a positive integer', String(batch));
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) argumentError('ParallelGemmaBackbone.emptyCache', 'maxLength', 'a positive integer', String(maxLength));
    checkSequenceLength('ParallelGemmaBackbone.emptyCache', 'maxLength', this.config, { batch, queryLength: 1, keyLength: 1, cacheLength: maxLength });
    this.execute({ kind: 'emptyCache', batch, maxLength }, { reduceFloats: 0, outputFloats: 0 });
    return this.handles(batch, maxLength);
  }

  private handles(batch: number, maxLength: number): Tensor[] {
    const handles = Array.from({ length: this.config.numLayers }, () => tensor(new Float32Array(0), [batch, 2, maxLength, 0]));
    this.currentCache = handles[0]!;
    return handles;
  }

  /** GemmaBackbone.callWithCache on the shards' cache; `cache` must be the latest handles. */
  callWithCache(tokenIds: IdsInput, cache: readonly Tensor[], cacheUpdateIndex: number): CachedForward {
    const { ids, batch, length } = this.ids(tokenIds, 'tokenIds');
    if (cache.length !== this.config.numLayers) argumentError('callWithCache', 'cache', `${this.config.numLayers} per-layer tensors`, `${cache.length}`);
    if (cache[0] !== this.currentCache)
      throw new TensorzooError('ParallelGemmaBackbone.callWithCache: the shards hold one key/value cache, the latest from emptyCache or callWithCache; this cache is not it');
    const maxLength = cache[0]!.shape[2]!;
    if (cache[0]!.shape[0] !== batch) argumentError('callWithCache', 'tokenIds', `${cache[0]!.shape[0]} rows (the cache's batch)`, `${batch}`);
    if (!Number.isInteger(cacheUpdateIndex) || cacheUpdateIndex < 0 || cacheUpdateIndex + length > maxLength)
      argumentError('callWithCache', 'cacheUpdateIndex', `an integer in [0, ${maxLength - length}] (cache length ${maxLength}, ${length} new tokens)`, String(cacheUpdateIndex));
    const D = this.config.hiddenDim;
    const size = batch * length * D;
    const output = this.execute({ kind: 'cached', ids, batch, length, start: cacheUpdateIndex }, { reduceFloats: size, outputFloats: size });
    const hiddenStates = tensor(output.slice(0, size), [batch, length, D]);
    return { hiddenStates, cache: this.handles(batch, maxLength) };
  }

  /** Hidden states [..., D] → logits [..., V]: each shard computes its vocabulary columns. */
  logits(hiddenStates: Tensor): Tensor {
    const D = this.config.hiddenDim;
    const V = this.config.vocabularySize;
    if (hiddenStates.shape.at(-1) !== D) argumentError('ParallelGemmaBackbone.logits', 'hiddenStates', `a last dimension of ${D}`, `[${hiddenStates.shape.join(', ')}]`);
    const rows = hiddenStates.size / D;
    const hidden = Float32Array.from(hiddenStates.dataSync() as Float32Array);
    const output = this.execute({ kind: 'logits', hidden, rows }, { reduceFloats: 0, outputFloats: rows * V });
    return tensor(output.slice(0, rows * V), [...hiddenStates.shape.slice(0, -1), V]);
  }

  /** Every variable's path, full shape and the shards' slices (for inspection and docs). */
  placements(): VariablePlacement[] {
    const full = new GemmaBackbone(this.config);
    try {
      return full.weights.map((variable) => placeVariable(this.plan, this.distribution, variable.path, variable.shape));
    } finally {
      full.dispose();
    }
  }

  /** Stops the shard workers and frees their memories. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.failure) for (const port of this.ports) port.postMessage({ type: 'dispose' } satisfies ToShard);
    this.stop();
  }

  /** What the single-memory backbone offers and a model-parallel one does not (yet): one clear error each. */
  private unsupported(what: string): never {
    throw new TensorzooError(`ParallelGemmaBackbone: ${what} is not available on a model-parallel backbone; load the preset without a distribution for it`);
  }

  quantize(_mode?: unknown): never {
    return this.unsupported('quantize (quantize the preset first, then load it with the distribution)');
  }

  enableLora(_rank?: unknown): never {
    return this.unsupported('enableLora (training); loadLoraWeights applies saved factors');
  }

  private loraState: number | null = null;

  get loraRank(): number | null {
    return this.loraState;
  }

  /**
   * KerasHub's load_lora_weights for inference: LoRA on the default targets (query, value), the
   * factors read from a `.lora.h5` and split as their kernels are (A by heads, B replicated).
   */
  async loadLoraWeights(path: string): Promise<void> {
    const file = await readLoraWeights(path);
    const full = new GemmaBackbone(this.config);
    try {
      const layers = weightedLayers(full);
      const targets = layers
        .map((layer, index) => ({ layer, index }))
        .filter(({ layer }) => (defaultLoraLayerNames as readonly string[]).includes(layer.name) && typeof (layer as { enableLora?: unknown }).enableLora === 'function');
      const commands: RunCommand[] = Array.from({ length: this.plan.shards }, () => ({ kind: 'lora', rank: file.rank, factors: [] }));
      for (const { layer, index } of targets) {
        const entry = file.layers.get(index);
        if (!entry) throw new TensorzooError(`loadLoraWeights: ${path} has no factors for layer index ${index} (${layer.path}); was it saved with other target layers?`);
        const kernel = layer.weights.find((variable) => variable.name === 'kernel')!;
        const expectedA = [...kernel.shape.slice(0, -1), file.rank];
        const expectedB = [file.rank, kernel.shape.at(-1)!];
        for (const [name, stored, expected] of [['lora_kernel_a', entry.a, expectedA], ['lora_kernel_b', entry.b, expectedB]] as const)
          if (stored.shape.length !== expected.length || stored.shape.some((size, axis) => size !== expected[axis]))
            throw new TensorzooError(`loadLoraWeights: ${path} /lora/${index}/vars/${name} has shape [${stored.shape.join(', ')}], expected [${expected.join(', ')}]`);
        const placement = placeVariable(this.plan, this.distribution, kernel.path, kernel.shape);
        const a = Float32Array.from(entry.a.data as ArrayLike<number>);
        const b = Float32Array.from(entry.b.data as ArrayLike<number>);
        placement.slices.forEach((slice, shard) => {
          const aShape = placement.axis === null ? expectedA : expectedA.map((size, axis) => (axis === placement.axis ? slice.length : size));
          (commands[shard] as Extract<RunCommand, { kind: 'lora' }>).factors.push({ index, a: sliceAlong(a, expectedA, placement.axis, slice.start, slice.length), aShape, b, bShape: expectedB });
        });
      }
      this.execute(commands, { reduceFloats: 0, outputFloats: 0 });
      this.loraState = file.rank;
    } finally {
      full.dispose();
    }
  }

  saveToPreset(_presetDir?: unknown): Promise<never> {
    return Promise.reject(new TensorzooError('ParallelGemmaBackbone: saveToPreset is not available on a model-parallel backbone (the preset it was loaded from holds the same weights)'));
  }

  get quantizedLayers(): Readonly<Record<string, string>> {
    return this.config.quantizedLayers ?? {};
  }

  /** Tests: makes shard `shard` exit as a crashed worker would, during the next command. */
  simulateCrash(shard: number): void {
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.plan.shards) argumentError('simulateCrash', 'shard', `an integer in [0, ${this.plan.shards - 1}]`, String(shard));
    this.ports[shard]!.postMessage({ type: 'run', command: { kind: 'crash' }, layout: this.layout } satisfies ToShard);
  }
}
