// The built-in Gemma presets: KerasHub's table (keras_hub/src/models/gemma/gemma_presets.py at
// keras-hub 71453d08, spec gemma.md §7.1) with each preset's backbone configuration (§7.2).
//
// Names, descriptions, parameter counts, `path` and Kaggle handles are KerasHub's metadata as
// data. KerasHub's table carries no architecture values: the configurations below are derived in
// spec §7.2 from KerasHub's conversion and export tools and the parameter formula of §1.8, which
// reproduces every preset's `params` exactly (gemmaParameterCount; test/presets pins it).
//
// Known quirks kept as KerasHub has them: the Gemma 2 27B descriptions say "42-layer" but those
// models have 46 layers; `queryHeadDimNormalize: false` on 27B is honoured by this project
// (decision 1) although KerasHub ignores it.
import { TensorzooError } from '@tensorzoo/core';
import type { GemmaArchitecture } from './parameter-count.js';

/** GemmaBackbone's constructor arguments, camelCase, as a preset supplies them. */
export interface GemmaPresetConfig extends GemmaArchitecture {
  readonly headDim: number;
  readonly queryHeadDimNormalize: boolean;
  readonly attentionLogitSoftCap: number | null;
  readonly finalLogitSoftCap: number | null;
  readonly useSlidingWindowAttention: boolean;
  readonly slidingWindowSize: number;
  readonly layerNormEpsilon: number;
  readonly dropout: number;
  /**
   * The dtype policy name the Kaggle preset stores. KerasHub converted these presets with a
   * bfloat16 floatx, so 'bfloat16' is presumed (the Kaggle config files are not in KerasHub's
   * repo). KerasHub's loader ignores a stored float policy unless the caller passes `dtype`.
   */
  readonly dtype: string;
}

export interface GemmaPreset {
  readonly name: string;
  readonly description: string;
  /** KerasHub's `metadata.params`: the backbone's parameter count. */
  readonly params: number;
  /** KerasHub's `metadata.path`: the model family folder, "gemma" for every entry. */
  readonly path: string;
  readonly kaggleHandle: string;
  readonly config: GemmaPresetConfig;
  /**
   * Configuration keys that neither KerasHub's repository nor the parameter count determines.
   * Empty for every preset except VaultGemma (spec §7.2 notes), whose values here are
   * GemmaBackbone's defaults; read the real ones from the preset's config.json when loading
   * weights.
   */
  readonly unverifiedConfigKeys: readonly (keyof GemmaPresetConfig)[];
}

const shared = {
  vocabularySize: 256000,
  layerNormEpsilon: 1e-6,
  dropout: 0,
  dtype: 'bfloat16',
} as const;

const gemma1 = {
  ...shared,
  queryHeadDimNormalize: true,
  usePostFfwNorm: false,
  usePostAttentionNorm: false,
  attentionLogitSoftCap: null,
  finalLogitSoftCap: null,
  useSlidingWindowAttention: false,
  slidingWindowSize: 4096,
} as const;

// Gemma 2: both post norms, soft caps 50 / 30, a 4096-token sliding window on even layers
// (KerasHub's Flax conversion script and transformers' Gemma2Config defaults, spec §7.2).
const gemma2 = {
  ...shared,
  queryHeadDimNormalize: true,
  usePostFfwNorm: true,
  usePostAttentionNorm: true,
  attentionLogitSoftCap: 50,
  finalLogitSoftCap: 30,
  useSlidingWindowAttention: true,
  slidingWindowSize: 4096,
} as const;

const architectures = {
  gemma2b: { ...gemma1, numLayers: 18, numQueryHeads: 8, numKeyValueHeads: 1, hiddenDim: 2048, intermediateDim: 32768, headDim: 256 },
  gemma7b: { ...gemma1, numLayers: 28, numQueryHeads: 16, numKeyValueHeads: 16, hiddenDim: 3072, intermediateDim: 49152, headDim: 256 },
  gemma2_2b: { ...gemma2, numLayers: 26, numQueryHeads: 8, numKeyValueHeads: 4, hiddenDim: 2304, intermediateDim: 18432, headDim: 256 },
  gemma2_9b: { ...gemma2, numLayers: 42, numQueryHeads: 16, numKeyValueHeads: 8, hiddenDim: 3584, intermediateDim: 28672, headDim: 256 },
  // 27B scales queries by (hiddenDim / numQueryHeads) ** -0.5 = 144 ** -0.5, hence the flag.
  gemma2_27b: { ...gemma2, numLayers: 46, numQueryHeads: 32, numKeyValueHeads: 16, hiddenDim: 4608, intermediateDim: 73728, headDim: 128, queryHeadDimNormalize: false },
  // VaultGemma 1B: L = 26 is in KerasHub; D, N, K, H and F are outside knowledge that reproduces
  // the parameter count only with two norms per block (spec §7.2). Caps, window and query
  // normalisation are unknown: GemmaBackbone's defaults stand in (see unverifiedConfigKeys).
  vaultGemma1b: { ...gemma1, numLayers: 26, numQueryHeads: 4, numKeyValueHeads: 4, hiddenDim: 1152, intermediateDim: 13824, headDim: 256 },
} satisfies Record<string, GemmaPresetConfig>;

const vaultGemmaUnverified = [
  'queryHeadDimNormalize',
  'attentionLogitSoftCap',
  'finalLogitSoftCap',
  'useSlidingWindowAttention',
  'slidingWindowSize',
] as const;

type Row = [name: string, description: string, params: number, kaggleHandle: string, config: GemmaPresetConfig];

const fimNote = 'This model has been trained on a fill-in-the-middle (FIM) task for code completion.';
const chatCodeNote = 'This model has been trained for chat use cases related to code.';
const update11 = 'The 1.1 update improves model quality.';

// KerasHub's order; descriptions and handles as in gemma_presets.py.
const rows: Row[] = [
  ['gemma_2b_en', '2 billion parameter, 18-layer, base Gemma model.', 2506172416, 'kaggle://keras/gemma/keras/gemma_2b_en/3', architectures.gemma2b],
  ['gemma_instruct_2b_en', '2 billion parameter, 18-layer, instruction tuned Gemma model.', 2506172416, 'kaggle://keras/gemma/keras/gemma_instruct_2b_en/3', architectures.gemma2b],
  ['gemma_1.1_instruct_2b_en', `2 billion parameter, 18-layer, instruction tuned Gemma model. ${update11}`, 2506172416, 'kaggle://keras/gemma/keras/gemma_1.1_instruct_2b_en/4', architectures.gemma2b],
  ['code_gemma_1.1_2b_en', `2 billion parameter, 18-layer, CodeGemma model. ${fimNote} ${update11}`, 2506172416, 'kaggle://keras/codegemma/keras/code_gemma_1.1_2b_en/2', architectures.gemma2b],
  ['code_gemma_2b_en', `2 billion parameter, 18-layer, CodeGemma model. ${fimNote}`, 2506172416, 'kaggle://keras/codegemma/keras/code_gemma_2b_en/2', architectures.gemma2b],
  ['gemma_7b_en', '7 billion parameter, 28-layer, base Gemma model.', 8537680896, 'kaggle://keras/gemma/keras/gemma_7b_en/4', architectures.gemma7b],
  ['gemma_instruct_7b_en', '7 billion parameter, 28-layer, instruction tuned Gemma model.', 8537680896, 'kaggle://keras/gemma/keras/gemma_instruct_7b_en/4', architectures.gemma7b],
  ['gemma_1.1_instruct_7b_en', `7 billion parameter, 28-layer, instruction tuned Gemma model. ${update11}`, 8537680896, 'kaggle://keras/gemma/keras/gemma_1.1_instruct_7b_en/5', architectures.gemma7b],
  ['code_gemma_7b_en', `7 billion parameter, 28-layer, CodeGemma model. ${fimNote}`, 8537680896, 'kaggle://keras/codegemma/keras/code_gemma_7b_en/3', architectures.gemma7b],
  ['code_gemma_instruct_7b_en', `7 billion parameter, 28-layer, instruction tuned CodeGemma model. ${chatCodeNote}`, 8537680896, 'kaggle://keras/codegemma/keras/code_gemma_instruct_7b_en/3', architectures.gemma7b],
  ['code_gemma_1.1_instruct_7b_en', `7 billion parameter, 28-layer, instruction tuned CodeGemma model. ${chatCodeNote} ${update11}`, 8537680896, 'kaggle://keras/codegemma/keras/code_gemma_1.1_instruct_7b_en/3', architectures.gemma7b],
  ['gemma2_2b_en', '2 billion parameter, 26-layer, base Gemma model.', 2614341888, 'kaggle://keras/gemma2/keras/gemma2_2b_en/2', architectures.gemma2_2b],
  ['gemma2_instruct_2b_en', '2 billion parameter, 26-layer, instruction tuned Gemma model.', 2614341888, 'kaggle://keras/gemma2/keras/gemma2_instruct_2b_en/2', architectures.gemma2_2b],
  ['gemma2_9b_en', '9 billion parameter, 42-layer, base Gemma model.', 9241705984, 'kaggle://keras/gemma2/keras/gemma2_9b_en/4', architectures.gemma2_9b],
  ['gemma2_instruct_9b_en', '9 billion parameter, 42-layer, instruction tuned Gemma model.', 9241705984, 'kaggle://keras/gemma2/keras/gemma2_instruct_9b_en/4', architectures.gemma2_9b],
  ['gemma2_27b_en', '27 billion parameter, 42-layer, base Gemma model.', 27227128320, 'kaggle://keras/gemma2/keras/gemma2_27b_en/3', architectures.gemma2_27b],
  ['gemma2_instruct_27b_en', '27 billion parameter, 42-layer, instruction tuned Gemma model.', 27227128320, 'kaggle://keras/gemma2/keras/gemma2_instruct_27b_en/3', architectures.gemma2_27b],
  ['shieldgemma_2b_en', '2 billion parameter, 26-layer, ShieldGemma model.', 2614341888, 'kaggle://google/shieldgemma/keras/shieldgemma_2b_en/2', architectures.gemma2_2b],
  ['shieldgemma_9b_en', '9 billion parameter, 42-layer, ShieldGemma model.', 9241705984, 'kaggle://google/shieldgemma/keras/shieldgemma_9b_en/2', architectures.gemma2_9b],
  ['shieldgemma_27b_en', '27 billion parameter, 42-layer, ShieldGemma model.', 27227128320, 'kaggle://google/shieldgemma/keras/shieldgemma_27b_en/2', architectures.gemma2_27b],
  ['vault_gemma_1b_en', '1 billion parameter, 26-layer, VaultGemma model.', 1038741120, 'kaggle://keras/vaultgemma/keras/vault_gemma_1b_en/2', architectures.vaultGemma1b],
  ['c2s_scale_gemma_2_2b_en', 'A 2 billion parameter, single-cell biology-aware model built on the Gemma-2 architecture.', 2614341888, 'kaggle://keras/cell2sentence/keras/c2s_scale_gemma_2_2b_en/1', architectures.gemma2_2b],
  ['c2s_scale_gemma_2_27b_en', 'A 27 billion parameter, single-cell biology-aware model built on the Gemma-2 architecture.', 27227128320, 'kaggle://keras/cell2sentence/keras/c2s_scale_gemma_2_27b_en/1', architectures.gemma2_27b],
];

function freezePreset([name, description, params, kaggleHandle, config]: Row): GemmaPreset {
  return Object.freeze({
    name,
    description,
    params,
    path: 'gemma',
    kaggleHandle,
    config: Object.freeze({ ...config }),
    unverifiedConfigKeys: Object.freeze(name === 'vault_gemma_1b_en' ? [...vaultGemmaUnverified] : []),
  });
}

/** Every built-in Gemma preset by name, in KerasHub's order (what GemmaBackbone.presets lists). */
export const gemmaPresets: Readonly<Record<string, GemmaPreset>> = Object.freeze(
  Object.fromEntries(rows.map((row) => [row[0], freezePreset(row)])),
);

/** The built-in preset names, in KerasHub's order. */
export const gemmaPresetNames: readonly string[] = Object.freeze(rows.map(([name]) => name));

export function isGemmaPresetName(name: unknown): boolean {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(gemmaPresets, name);
}

/** The preset called `name`; an unknown name is an error listing the known ones. */
export function getGemmaPreset(name: string): GemmaPreset {
  if (!isGemmaPresetName(name))
    throw new TensorzooError(
      `getGemmaPreset: argument 'name' expected one of the built-in Gemma presets ` +
        `(${gemmaPresetNames.join(', ')}), received ${JSON.stringify(name)}`,
    );
  return gemmaPresets[name]!;
}
