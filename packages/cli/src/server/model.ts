// Loading the one model a server (or a chat) runs, with its continuous-batching engine.
import { basename } from 'node:path';
import { ContinuousBatchingEngine, GemmaCausalLM, type ContinuousBatchingOptions, type LoadProgress } from '@tensorzoo/models';
import type { ServedModel } from './completion.js';

export interface LoadServedModelOptions extends ContinuousBatchingOptions {
  preset?: string;
  /** The id clients pass as `model`; default: the preset's name (its folder's name), or tinycode-gemma2-6m. */
  modelName?: string;
  lora?: string;
  onProgress?: (event: LoadProgress) => void;
}

/** A preset handle's short name: `gemma2_2b_en`, `hf://google/gemma-2-2b` → gemma-2-2b, a folder → its name. */
export function presetModelId(preset: string | undefined): string {
  if (!preset) return 'tinycode-gemma2-6m';
  const trimmed = preset.replace(/[\\/]+$/, '');
  return basename(trimmed.replace(/^(hf|kaggle):\/\//, '')) || trimmed;
}

export async function loadServedModel(options: LoadServedModelOptions = {}): Promise<ServedModel> {
  const lm = await GemmaCausalLM.fromPreset(options.preset, { onProgress: options.onProgress });
  if (options.lora) await lm.backbone.loadLoraWeights(options.lora);
  const engine = new ContinuousBatchingEngine(lm.backbone, {
    maxBatchSize: options.maxBatchSize,
    maxQueue: options.maxQueue,
    prefillChunk: options.prefillChunk,
    contextLength: options.contextLength ?? lm.preprocessor!.sequenceLength,
    capacityStep: options.capacityStep,
  });
  return { id: options.modelName ?? presetModelId(options.preset), lm, engine, created: Math.floor(Date.now() / 1000) };
}
