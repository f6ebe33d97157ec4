// Checks on a Gemma configuration before any layer is built: every size within bounds no Gemma
// comes near (the largest, Gemma 2 27B, has 46 layers, hidden 4608, vocabulary 256000), the
// weights it would allocate within the machine's memory, and, when loading a preset, the number
// of decoder blocks equal to what the weights file holds. Without them `num_layers: 1e9` in a
// config.json builds layers until the heap dies. Deviation from KerasHub, which checks none of
// this (docs/differences-from-kerashub.md).
import { totalmem } from 'node:os';
import { TensorzooError } from '@tensorzoo/core';
import { readKerasWeights, readSafetensors } from '../io/index.js';
import type { GemmaBackboneConfig } from './gemma-config.js';

/** Upper bounds of the integer sizes; generous multiples of the largest Gemma's. */
export const gemmaConfigBounds = {
  vocabularySize: 2 ** 24,
  numLayers: 1024,
  numQueryHeads: 1024,
  numKeyValueHeads: 1024,
  hiddenDim: 2 ** 17,
  intermediateDim: 2 ** 21,
  headDim: 2 ** 12,
} as const;

type BoundedKey = keyof typeof gemmaConfigBounds;

/**
 * Throws when a size is past its bound. `name(key)` says where the value came from
 * (`num_layers` of a config.json, `numLayers`). Sizes that are not positive integers are left to
 * resolveGemmaConfig's own error. Allocates nothing: parameter counts of large presets use it.
 */
export function checkGemmaConfigBounds(config: GemmaBackboneConfig, name: (key: BoundedKey) => string = (key) => key, op = 'GemmaBackbone'): void {
  for (const [key, bound] of Object.entries(gemmaConfigBounds) as [BoundedKey, number][]) {
    const value = config[key];
    if (typeof value === 'number' && value > bound)
      throw new TensorzooError(`${op}: ${name(key)} expected at most ${bound} (no Gemma comes near it), received ${value}`);
  }
}

/** Throws when even the smallest storage (int4) of the configuration's weights exceeds the machine's memory. */
export function checkGemmaConfigMemory(config: GemmaBackboneConfig, op = 'GemmaBackbone'): void {
  const { vocabularySize: V, numLayers: L, numQueryHeads: N, numKeyValueHeads: K, hiddenDim: D, headDim: H, intermediateDim } = config;
  if (![V, L, N, K, D, H, intermediateDim].every((value) => Number.isSafeInteger(value) && value > 0)) return;
  // gemmaParameterCount without the norms, at half a byte each (int4, the smallest storage): a
  // lower bound, so that a quantized preset that fits is never refused.
  const parameters = V * D + L * (2 * N * D * H + 2 * K * D * H + (3 * D * intermediateDim) / 2);
  const bytes = parameters / 2;
  const available = totalmem();
  if (bytes > available)
    throw new TensorzooError(
      `${op}: the configuration (${L} layers, hidden ${D}, vocabulary ${V}) has ${parameters.toExponential(3)} parameters, at least ${(bytes / 2 ** 30).toFixed(1)} GiB of weights, more than this machine's ${(available / 2 ** 30).toFixed(1)} GiB of memory`,
    );
}

/** Decoder block indices named by weight paths: Keras (`layers/gemma_decoder_block_3/…`) or Hugging Face (`model.layers.3.…`). */
export function decoderBlockCount(paths: readonly string[]): number {
  const indices = new Set<number>();
  for (const path of paths) {
    const keras = /^layers\/gemma_decoder_block(?:_(\d+))?\//.exec(path);
    const transformers = /(?:^|\.)layers\.(\d+)\./.exec(path);
    if (keras) indices.add(keras[1] === undefined ? 0 : Number(keras[1]));
    else if (transformers) indices.add(Number(transformers[1]));
  }
  return indices.size;
}

/** The decoder block count must equal the number of blocks the weights hold (both directions: Keras refuses both). */
export function checkLayerCountAgainstWeights(numLayers: number, paths: readonly string[], configLabel: string, weightsLabel: string): void {
  const blocks = decoderBlockCount(paths);
  if (blocks !== numLayers)
    throw new TensorzooError(`${configLabel} expected ${blocks} decoder blocks (the number ${weightsLabel} holds), received ${numLayers}`);
}

/** Where each bounded size lives in a KerasHub and in a Hugging Face config.json. */
const configKeys: Record<'keras' | 'transformers', Record<BoundedKey, string>> = {
  keras: {
    vocabularySize: 'vocabulary_size',
    numLayers: 'num_layers',
    numQueryHeads: 'num_query_heads',
    numKeyValueHeads: 'num_key_value_heads',
    hiddenDim: 'hidden_dim',
    intermediateDim: 'intermediate_dim',
    headDim: 'head_dim',
  },
  transformers: {
    vocabularySize: 'vocab_size',
    numLayers: 'num_hidden_layers',
    numQueryHeads: 'num_attention_heads',
    numKeyValueHeads: 'num_key_value_heads',
    hiddenDim: 'hidden_size',
    intermediateDim: 'intermediate_size (times 2)',
    headDim: 'head_dim',
  },
};

/**
 * A preset's configuration (after KerasHub's kwargs are merged over it), before the backbone is
 * built: the bounds above, then, when weights will be loaded, the decoder block count against the
 * weights file's (read from its index of tensor names; no tensor data is read).
 */
export async function checkPresetConfigBeforeBuild(
  config: GemmaBackboneConfig,
  folder: string,
  format: 'keras' | 'transformers',
  configFile: string,
  withWeights: boolean,
): Promise<void> {
  const keys = configKeys[format];
  checkGemmaConfigBounds(config, (key) => keys[key], configFile);
  checkGemmaConfigMemory(config, configFile);
  if (!withWeights || !Number.isSafeInteger(config.numLayers) || config.numLayers <= 0) return;
  if (format === 'keras') {
    const weights = await readKerasWeights(folder);
    try {
      checkLayerCountAgainstWeights(config.numLayers, weights.paths(), `${configFile}: ${keys.numLayers}`, weights.files.join(', '));
    } finally {
      weights.close();
    }
  } else {
    const weights = await readSafetensors(folder);
    try {
      checkLayerCountAgainstWeights(config.numLayers, weights.keys(), `${configFile}: ${keys.numLayers}`, weights.files.join(', '));
    } finally {
      weights.close();
    }
  }
}
