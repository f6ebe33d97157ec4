// GemmaCausalLM (KerasHub gemma_causal_lm.py + causal_lm.py, spec §6.3–6.4): logits, score, and
// cached generation where every new token costs one decoder step.
import { argumentError, gather, logSoftmax, reshape, slice, tensor, tidy, type Tensor } from '@tensorzoo/core';
import { join } from 'node:path';
import { GemmaBackbone, type IdsInput } from '../gemma/gemma-backbone.js';
import { presetFolder, type FromPresetOptions } from '../gemma/gemma-from-preset.js';
import { loadGemmaBackboneFromFolder } from '../gemma/gemma-loader.js';
import { readJson } from '../io/index.js';
import type { SaveToPresetOptions } from '../gemma/gemma-save.js';
import { saveCausalLMToPreset } from './gemma-causal-lm-save.js';
import { GemmaTokenizer } from '../tokenizer/index.js';
import { existsSync } from 'node:fs';
import { GemmaCausalLMPreprocessor, type PackedBatch } from './gemma-causal-lm-preprocessor.js';
import { checkPaddingValues, checkSequenceLength } from '../gemma/input-checks.js';
import { getSampler, type SamplerSpec } from './samplers.js';
import { fitCausalLM, type FitData, type FitHistory, type FitOptions } from '../training/index.js';
import { isFetchedPreset } from '../presets/browser-fetch.js';
import { fetchGemmaPreset, gemmaTokenizerFromFiles, preprocessorConfigFromFiles } from '../presets/preset-from-files.js';

export interface GenerateToken {
  /** Row of the batch the token belongs to. */
  batchIndex: number;
  tokenId: number;
  /** Position in the row (prompt included). */
  position: number;
  /** The token's text (detokenized alone), when a preprocessor is attached. */
  text?: string;
}

export interface GenerateOptions {
  /** Total length including the prompt (KerasHub semantics); defaults to the preprocessor's sequenceLength. */
  maxLength?: number;
  /** 'auto' = [<eos>]; null = run to maxLength. */
  stopTokenIds?: readonly number[] | 'auto' | null;
  sampler?: SamplerSpec;
  /** Called for every generated (not prompt) token, as it is produced. */
  onToken?: (token: GenerateToken) => void;
  stripPrompt?: boolean;
}

export interface ScoreOptions {
  paddingMask?: IdsInput;
  scoringMode?: 'logits' | 'loss';
  targetIds?: IdsInput;
}

export class GemmaCausalLM {
  readonly backbone: GemmaBackbone;
  preprocessor: GemmaCausalLMPreprocessor | null;
  /** The default sampler for generate (KerasHub's Gemma default is greedy). */
  sampler: SamplerSpec = 'greedy';

  constructor(backbone: GemmaBackbone, preprocessor: GemmaCausalLMPreprocessor | null = null) {
    this.backbone = backbone;
    this.preprocessor = preprocessor;
  }

  /**
   * The task from a preset (built-in name, kaggle://, hf://, folder; the embedded
   * tinycode-gemma2-6m when omitted): backbone, tokenizer and preprocessor (sequence length from
   * preprocessor.json when the preset has one, else 1024 as KerasHub).
   */
  static async fromPreset(preset?: string, options: FromPresetOptions & { sequenceLength?: number } = {}): Promise<GemmaCausalLM> {
    // URLs (and, outside Node, hf:// and paths): fetched into memory and cached (presets/browser-fetch.ts).
    if (isFetchedPreset(preset)) {
      const { files, backbone } = await fetchGemmaPreset(preset, options);
      const saved = preprocessorConfigFromFiles(files);
      return new GemmaCausalLM(backbone, new GemmaCausalLMPreprocessor(gemmaTokenizerFromFiles(files), { ...saved, sequenceLength: options.sequenceLength ?? saved.sequenceLength }));
    }
    const folder = await presetFolder(preset, options);
    const backbone = await loadGemmaBackboneFromFolder(folder, options);
    try {
      const tokenizer = await GemmaTokenizer.fromPreset(folder);
      let sequenceLength = options.sequenceLength;
      const preprocessorFile = join(folder, 'preprocessor.json');
      let addStartToken: boolean | undefined;
      let addEndToken: boolean | undefined;
      if (existsSync(preprocessorFile)) {
        const saved = (await readJson(preprocessorFile, { what: 'the preprocessor configuration' })) as { config?: Record<string, unknown> };
        sequenceLength ??= typeof saved.config?.sequence_length === 'number' ? saved.config.sequence_length : undefined;
        addStartToken = typeof saved.config?.add_start_token === 'boolean' ? saved.config.add_start_token : undefined;
        addEndToken = typeof saved.config?.add_end_token === 'boolean' ? saved.config.add_end_token : undefined;
      }
      return new GemmaCausalLM(backbone, new GemmaCausalLMPreprocessor(tokenizer, { sequenceLength, addStartToken, addEndToken }));
    } catch (error) {
      backbone.dispose();
      throw error;
    }
  }

  /** Writes a KerasHub task preset: task.json, the backbone files, preprocessor and tokenizer assets. */
  async saveToPreset(presetDir: string, options: SaveToPresetOptions = {}): Promise<void> {
    await saveCausalLMToPreset(this, presetDir, options);
  }

  /**
   * Keras's Model.quantize on the task: quantizes the backbone's token embedding (its reverse
   * logits path included) and EinsumDense layers; 'int8' or 'int4' (see GemmaBackbone.quantize).
   */
  quantize(mode: 'int8' | 'int4'): void {
    this.backbone.quantize(mode);
  }

  /** {tokenIds, paddingMask} [B, T] → logits [B, T, V]. */
  call(inputs: { tokenIds: IdsInput; paddingMask?: IdsInput }): Tensor {
    return tidy(() => this.backbone.logits(this.backbone.call(inputs)));
  }

  /** KerasHub's score: 'logits' → [B, T, V]; 'loss' → per-token cross-entropy [B, T] against targetIds. */
  score(tokenIds: IdsInput, options: ScoreOptions = {}): Tensor {
    const mode = options.scoringMode ?? 'logits';
    if (mode !== 'logits' && mode !== 'loss') argumentError('score', 'scoringMode', "'logits' or 'loss'", JSON.stringify(mode));
    return tidy(() => {
      const logits = this.call({ tokenIds, paddingMask: options.paddingMask });
      if (mode === 'logits') return logits;
      if (options.targetIds === undefined) argumentError('score', 'targetIds', "token ids when scoringMode is 'loss'", 'undefined');
      const targets = isTensor(options.targetIds) ? options.targetIds : tensor(options.targetIds as number[][], undefined, 'int32');
      const [batch, length, vocabulary] = logits.shape as [number, number, number];
      if (targets.shape[0] !== batch || targets.shape[1] !== length)
        argumentError('score', 'targetIds', `shape [${batch}, ${length}]`, `[${targets.shape.join(', ')}]`);
      const logProbabilities = reshape(logSoftmax(logits, -1), [batch * length, vocabulary]);
      const flatTargets = targets.dataSync();
      const picked = new Int32Array(batch * length);
      for (let index = 0; index < picked.length; index++) picked[index] = index * vocabulary + flatTargets[index]!;
      const values = gather(reshape(logProbabilities, [batch * length * vocabulary]), tensor(picked, [picked.length], 'int32'));
      const loss = values.dataSync().map((value) => -value);
      return tensor(loss, [batch, length]);
    });
  }

  /**
   * Trains the backbone's trainable weights (the LoRA factors after `backbone.enableLora(rank)`)
   * on texts or packed ids; see src/training/fit.ts. Resolves with the per-step losses.
   */
  fit(data: FitData, options: FitOptions = {}): Promise<FitHistory> {
    return fitCausalLM(this.backbone, this.preprocessor, data, options);
  }

  /**
   * Generates continuations. A string gives a string; an array gives an array. Without a
   * preprocessor, pass {tokenIds, paddingMask} already packed; token ids come back.
   */
  generate(prompts: string, options?: GenerateOptions): string;
  generate(prompts: readonly string[], options?: GenerateOptions): string[];
  generate(prompts: PackedBatch, options?: GenerateOptions): PackedBatch;
  generate(prompts: string | readonly string[] | PackedBatch, options: GenerateOptions = {}): string | string[] | PackedBatch {
    const preprocessor = this.preprocessor;
    let stopTokenIds = options.stopTokenIds === undefined ? 'auto' : options.stopTokenIds;
    if (stopTokenIds === 'auto') {
      if (!preprocessor) argumentError('generate', 'stopTokenIds', "explicit ids or null when no preprocessor is attached ('auto' needs the tokenizer's <eos>)", "'auto'");
      stopTokenIds = [preprocessor.tokenizer.endTokenId];
    }
    let packed: PackedBatch;
    const isText = typeof prompts === 'string' || Array.isArray(prompts);
    if (isText) {
      if (!preprocessor) argumentError('generate', 'prompts', 'packed {tokenIds, paddingMask} when no preprocessor is attached', 'text');
      const maxLength = options.maxLength ?? preprocessor.sequenceLength;
      if (!Number.isInteger(maxLength) || maxLength < 2) argumentError('generate', 'maxLength', 'an integer ≥ 2 (it counts the prompt)', String(maxLength));
      // Before the prompts are padded to maxLength: the context and the cache's memory bound it.
      const rows = typeof prompts === 'string' ? 1 : (prompts as string[]).length;
      checkSequenceLength('generate', 'maxLength', this.backbone.config, { batch: Math.max(rows, 1), queryLength: 1, keyLength: 1, cacheLength: maxLength });
      packed = preprocessor.generatePreprocess(prompts as string | string[], maxLength);
    } else {
      const batch = prompts as PackedBatch;
      if (!Array.isArray(batch?.tokenIds) || !Array.isArray(batch?.paddingMask))
        argumentError('generate', 'prompts', 'a string, an array of strings or {tokenIds, paddingMask}', typeof prompts);
      batch.paddingMask.forEach((row, rowIndex) => checkPaddingValues('generate', row, Infinity, rowIndex));
      packed = { tokenIds: batch.tokenIds.map((row) => [...row]), paddingMask: batch.paddingMask.map((row) => row.map(Number)) };
    }
    const generated = this.generateIds(packed, stopTokenIds, options);
    if (!isText) return generated;
    const texts = preprocessor!.generatePostprocess(generated);
    return typeof prompts === 'string' ? texts[0]! : texts;
  }

  /** The sampling loop over packed ids (spec §6.4 step 5). */
  private generateIds(packed: PackedBatch, stopTokenIds: readonly number[] | null, options: GenerateOptions): PackedBatch {
    const sampler = getSampler(options.sampler ?? this.sampler);
    const tokenIds = packed.tokenIds.map((row) => [...row]);
    const promptMask: number[][] = packed.paddingMask.map((row) => row.map((value) => (value ? 1 : 0)));
    const batch = tokenIds.length;
    const length = tokenIds[0]?.length ?? 0;
    if (batch === 0 || tokenIds.some((row) => row.length !== length)) argumentError('generate', 'prompts', 'a non-empty batch of equal-length rows', `${batch} rows`);
    const rowLengths = promptMask.map((row) => row.reduce((total, value) => total + value, 0));
    let index = Math.min(...rowLengths);
    if (index < 1) argumentError('generate', 'prompts', 'at least one prompt token per row (normally <bos>)', 'an empty row');
    const stops = stopTokenIds ? new Set(stopTokenIds) : null;
    const finished = new Array<boolean>(batch).fill(false);
    const vocabulary = this.backbone.config.vocabularySize;
    let cache = this.backbone.emptyCache(batch, length);
    // Prefill positions 0..index-1 at once; logits of the last one give the first new token.
    let logits = this.stepLogits(tokenIds.map((row) => row.slice(0, index)), cache, 0, (next) => (cache = next));
    while (index < length) {
      for (let row = 0; row < batch; row++) {
        if (promptMask[row]![index]) continue;
        const next = sampler.nextToken(logits.subarray(row * vocabulary, (row + 1) * vocabulary));
        tokenIds[row]![index] = next;
        if (!finished[row]) options.onToken?.({ batchIndex: row, tokenId: next, position: index, text: this.preprocessor?.tokenizer.detokenize([next]) as string | undefined });
        if (stops?.has(next)) finished[row] = true;
      }
      index++;
      if (stops && finished.every(Boolean)) break;
      if (index >= length) break;
      logits = this.stepLogits(tokenIds.map((row) => [row[index - 1]!]), cache, index - 1, (next) => (cache = next));
    }
    for (const layerCache of cache) layerCache.dispose();
    // Output mask: everything up to and including the first generated stop token.
    const paddingMask = tokenIds.map((row, rowIndex) => {
      let stopped = false;
      return row.map((id, column) => {
        if (stopped) return 0;
        if (stops && !promptMask[rowIndex]![column] && stops.has(id)) stopped = true;
        return column < index || promptMask[rowIndex]![column] ? 1 : 0;
      });
    });
    if (options.stripPrompt) {
      return {
        tokenIds: tokenIds.map((row, rowIndex) => row.slice(rowLengths[rowIndex]).concat(row.slice(0, rowLengths[rowIndex]))),
        paddingMask: paddingMask.map((row, rowIndex) => {
          const rolled = row.slice(rowLengths[rowIndex]).concat(row.slice(0, rowLengths[rowIndex]));
          const prompt = promptMask[rowIndex]!.slice(rowLengths[rowIndex]).concat(promptMask[rowIndex]!.slice(0, rowLengths[rowIndex]));
          return rolled.map((value, column) => value ^ prompt[column]!);
        }),
      };
    }
    return { tokenIds, paddingMask };
  }

  /** Runs new tokens [B, T] through the cache at `start`; returns the last position's logits [B * V]. */
  private stepLogits(rows: number[][], cache: readonly Tensor[], start: number, replaceCache: (next: Tensor[]) => void): Float32Array {
    const ids = tensor(rows, undefined, 'int32');
    const { hiddenStates, cache: next } = this.backbone.callWithCache(ids, cache, start);
    ids.dispose();
    for (const layerCache of cache) layerCache.dispose();
    replaceCache(next);
    const [batch, length, hidden] = hiddenStates.shape as [number, number, number];
    const lastLogits = tidy(() => this.backbone.logits(slice(hiddenStates, [0, length - 1, 0], [batch, 1, hidden])));
    const values = lastLogits.dataSync() as Float32Array;
    lastLogits.dispose();
    hiddenStates.dispose();
    return values;
  }
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value;
}
