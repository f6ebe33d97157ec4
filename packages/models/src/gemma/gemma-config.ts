// GemmaBackbone's constructor arguments (KerasHub keras_hub/src/models/gemma/gemma_backbone.py,
// spec §1.1), with their defaults and the validation KerasHub leaves out.
import { argumentError, TensorzooError } from '@tensorzoo/core';
import { checkGemmaConfigBounds } from './config-checks.js';
import { gemmaQuantizableLayerPaths, isKerasDTypePolicyMap, parseKerasDTypePolicyMap, toKerasDTypePolicyMap, type LayerQuantization } from './gemma-quantization.js';

export type GemmaDType = 'float32' | 'bfloat16' | 'float16';

export interface GemmaBackboneConfig {
  vocabularySize: number;
  numLayers: number;
  numQueryHeads: number;
  numKeyValueHeads: number;
  hiddenDim: number;
  /** Twice the real feed-forward width: the MLP kernels are [hiddenDim, intermediateDim / 2]. */
  intermediateDim: number;
  headDim: number;
  /** true: queries scaled by headDim^-0.5; false: by floor(hiddenDim / numQueryHeads)^-0.5. */
  queryHeadDimNormalize?: boolean;
  usePostFfwNorm?: boolean;
  usePostAttentionNorm?: boolean;
  attentionLogitSoftCap?: number | null;
  finalLogitSoftCap?: number | null;
  useSlidingWindowAttention?: boolean;
  slidingWindowSize?: number;
  layerNormEpsilon?: number;
  dropout?: number;
  /** Variable (storage) dtype; compute is always float32. */
  dtype?: GemmaDType;
  name?: string;
  trainable?: boolean;
  /**
   * Porting note: not a KerasHub argument. Hugging Face Gemma 2's `query_pre_attn_scalar`; when set,
   * queries are scaled by its inverse square root (the project's decision 1, spec "Decisions").
   */
  queryPreAttentionScalar?: number | null;
  /**
   * Quantized layers: layer path (`token_embedding`, `decoder_block_0/attention/query`, …) → its
   * Keras policy mode (`'int8'`, `'int4/128'`). These layers are built quantized (int8 / packed
   * int4 variables and scales, as Keras's quantized_build). In KerasHub's config.json this is the
   * `dtype` DTypePolicyMap; `quantize(mode)` fills it.
   */
  quantizedLayers?: Readonly<Record<string, LayerQuantization>> | null;
}

export type ResolvedGemmaConfig = Required<Omit<GemmaBackboneConfig, 'name' | 'trainable'>> & { name: string; trainable: boolean };

export const gemmaDefaults = {
  queryHeadDimNormalize: true,
  usePostFfwNorm: false,
  usePostAttentionNorm: false,
  attentionLogitSoftCap: null,
  finalLogitSoftCap: null,
  useSlidingWindowAttention: false,
  slidingWindowSize: 4096,
  layerNormEpsilon: 1e-6,
  dropout: 0,
  dtype: 'float32' as GemmaDType,
  queryPreAttentionScalar: null,
  quantizedLayers: null,
  name: 'gemma_backbone',
  trainable: true,
} as const;

const positiveIntegers = ['vocabularySize', 'numLayers', 'numQueryHeads', 'numKeyValueHeads', 'hiddenDim', 'intermediateDim', 'headDim'] as const;

export function resolveGemmaConfig(config: GemmaBackboneConfig): ResolvedGemmaConfig {
  const op = 'GemmaBackbone';
  if (config === null || typeof config !== 'object') argumentError(op, 'config', 'an object of constructor arguments', String(config));
  for (const key of positiveIntegers) {
    const value = config[key];
    if (!Number.isInteger(value) || (value as number) <= 0) argumentError(op, key, 'a positive integer', value === undefined ? 'undefined (it is required)' : String(value));
  }
  checkGemmaConfigBounds(config);
  const resolved = { ...gemmaDefaults, ...stripUndefined(config) } as ResolvedGemmaConfig;
  if (resolved.numQueryHeads % resolved.numKeyValueHeads !== 0)
    argumentError(op, 'numKeyValueHeads', `a divisor of numQueryHeads (${resolved.numQueryHeads})`, String(resolved.numKeyValueHeads));
  if (resolved.intermediateDim % 2 !== 0) argumentError(op, 'intermediateDim', 'an even integer (gate width + up width)', String(resolved.intermediateDim));
  if (resolved.headDim % 2 !== 0) argumentError(op, 'headDim', 'an even integer (rotary embedding pairs)', String(resolved.headDim));
  if (!Number.isInteger(resolved.slidingWindowSize) || resolved.slidingWindowSize <= 0)
    argumentError(op, 'slidingWindowSize', 'a positive integer', String(resolved.slidingWindowSize));
  for (const key of ['attentionLogitSoftCap', 'finalLogitSoftCap', 'queryPreAttentionScalar'] as const) {
    const value = resolved[key];
    if (value !== null && !(typeof value === 'number' && value > 0)) argumentError(op, key, 'a positive number or null', String(value));
  }
  if (!(resolved.layerNormEpsilon >= 0)) argumentError(op, 'layerNormEpsilon', 'a non-negative number', String(resolved.layerNormEpsilon));
  if (!(resolved.dropout >= 0 && resolved.dropout <= 1)) argumentError(op, 'dropout', 'a rate in [0, 1]', String(resolved.dropout));
  if (!['float32', 'bfloat16', 'float16'].includes(resolved.dtype)) argumentError(op, 'dtype', "'float32', 'bfloat16' or 'float16'", String(resolved.dtype));
  if (resolved.quantizedLayers !== null) checkQuantizedLayers(op, resolved.quantizedLayers, resolved.numLayers);
  for (const key of ['queryHeadDimNormalize', 'usePostFfwNorm', 'usePostAttentionNorm', 'useSlidingWindowAttention'] as const)
    if (typeof resolved[key] !== 'boolean') argumentError(op, key, 'a boolean', String(resolved[key]));
  return resolved;
}

function checkQuantizedLayers(op: string, quantizedLayers: unknown, numLayers: number): void {
  if (typeof quantizedLayers !== 'object' || Array.isArray(quantizedLayers))
    argumentError(op, 'quantizedLayers', 'an object from layer path to quantization mode, or null', String(quantizedLayers));
  const quantizable = gemmaQuantizableLayerPaths({ numLayers });
  for (const [path, mode] of Object.entries(quantizedLayers as Record<string, unknown>)) {
    if (!quantizable.includes(path))
      argumentError(op, 'quantizedLayers', `keys among the quantizable layers (${quantizable.slice(0, 4).join(', ')}, …)`, `'${path}'`);
    if (!(mode === 'int8' || (typeof mode === 'string' && /^int4\/(-1|[1-9]\d*)$/.test(mode))))
      argumentError(op, `quantizedLayers['${path}']`, "'int8' or 'int4/<block size>' (block size -1: per channel)", String(mode));
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** The query multiplier (spec §1.6.3 with the project's decision 1). */
export function queryScale(config: ResolvedGemmaConfig): number {
  if (config.queryPreAttentionScalar !== null) return 1 / Math.sqrt(config.queryPreAttentionScalar);
  if (config.queryHeadDimNormalize) return 1 / Math.sqrt(config.headDim);
  return 1 / Math.sqrt(Math.floor(config.hiddenDim / config.numQueryHeads));
}

/** Parameter count, spec §1.8: V·D + L·(norms·D + N·D·H + 2·K·D·H + N·H·D + 3·D·F) + D. */
export function gemmaParameterCount(config: GemmaBackboneConfig): number {
  const resolved = resolveGemmaConfig(config);
  const { vocabularySize: V, hiddenDim: D, numLayers: L, numQueryHeads: N, numKeyValueHeads: K, headDim: H } = resolved;
  const F = resolved.intermediateDim / 2;
  const norms = 2 + (resolved.usePostAttentionNorm ? 1 : 0) + (resolved.usePostFfwNorm ? 1 : 0);
  return V * D + L * (norms * D + N * D * H + 2 * K * D * H + N * H * D + 3 * D * F) + D;
}

/** KerasHub's `get_config` keys (snake_case, spec §1.11) ↔ ours. */
export const kerasConfigKeys: Record<string, keyof GemmaBackboneConfig> = {
  name: 'name',
  trainable: 'trainable',
  vocabulary_size: 'vocabularySize',
  num_layers: 'numLayers',
  num_query_heads: 'numQueryHeads',
  num_key_value_heads: 'numKeyValueHeads',
  hidden_dim: 'hiddenDim',
  intermediate_dim: 'intermediateDim',
  head_dim: 'headDim',
  layer_norm_epsilon: 'layerNormEpsilon',
  dropout: 'dropout',
  query_head_dim_normalize: 'queryHeadDimNormalize',
  use_post_ffw_norm: 'usePostFfwNorm',
  use_post_attention_norm: 'usePostAttentionNorm',
  final_logit_soft_cap: 'finalLogitSoftCap',
  attention_logit_soft_cap: 'attentionLogitSoftCap',
  sliding_window_size: 'slidingWindowSize',
  use_sliding_window_attention: 'useSlidingWindowAttention',
};

/**
 * Reads a KerasHub backbone `config` object (dtype as a policy dict, a plain string, or a
 * DTypePolicyMap naming the quantized layers; `file` names config.json in errors).
 */
export function fromKerasConfig(kerasConfig: Record<string, unknown>, file = 'config.json'): GemmaBackboneConfig {
  const config: Record<string, unknown> = {};
  for (const [kerasKey, key] of Object.entries(kerasConfigKeys)) if (kerasKey in kerasConfig) config[key] = kerasConfig[kerasKey];
  let dtype = kerasConfig.dtype;
  if (isKerasDTypePolicyMap(dtype)) {
    const numLayers = Number.isInteger(kerasConfig.num_layers) ? (kerasConfig.num_layers as number) : 0;
    const parsed = parseKerasDTypePolicyMap(dtype, { numLayers }, file);
    if (Object.keys(parsed.quantizedLayers).length > 0) config.quantizedLayers = parsed.quantizedLayers;
    // default_policy null: Keras's global policy, which KerasHub loads as float32.
    dtype = parsed.defaultPolicy ?? undefined;
  }
  const policyName = typeof dtype === 'string' ? dtype : (dtype as { config?: { name?: unknown } } | undefined)?.config?.name;
  if (policyName !== undefined && policyName !== null && typeof policyName !== 'string')
    throw new TensorzooError(`${file}: dtype.config.name expected a dtype policy name such as "float32", received ${JSON.stringify(policyName)?.slice(0, 80)}`);
  if (policyName) config.dtype = policyName.replace(/^mixed_/, '') === 'bfloat16' && policyName.startsWith('mixed_') ? 'float32' : policyName;
  return config as unknown as GemmaBackboneConfig;
}

/** Our config → KerasHub's `config` object, keys in KerasHub's insertion order. */
export function toKerasConfig(config: ResolvedGemmaConfig): Record<string, unknown> {
  // KerasHub has no query_pre_attn_scalar: express it through query_head_dim_normalize when one of
  // the two scales it offers equals it, and refuse to write a preset that would change the model.
  let normalize = config.queryHeadDimNormalize;
  const scalar = config.queryPreAttentionScalar;
  if (scalar !== null) {
    if (scalar === config.headDim) normalize = true;
    else if (scalar === Math.floor(config.hiddenDim / config.numQueryHeads)) normalize = false;
    else
      throw new TensorzooError(
        `saveToPreset: queryPreAttentionScalar ${scalar} cannot be written to a KerasHub config (its scales are headDim ${config.headDim} or hiddenDim / numQueryHeads ${Math.floor(config.hiddenDim / config.numQueryHeads)})`,
      );
  }
  config = { ...config, queryHeadDimNormalize: normalize };
  const out: Record<string, unknown> = {
    name: config.name,
    trainable: config.trainable,
    dtype:
      config.quantizedLayers && Object.keys(config.quantizedLayers).length > 0
        ? toKerasDTypePolicyMap(config.quantizedLayers, config)
        : { module: 'keras', class_name: 'DTypePolicy', config: { name: config.dtype }, registered_name: null },
  };
  for (const [kerasKey, key] of Object.entries(kerasConfigKeys)) if (!(kerasKey in out)) out[kerasKey] = config[key as keyof ResolvedGemmaConfig];
  return out;
}

/** Every variable's path and shape, in Keras's `weights` order (spec §1.8), without building a model. */
export function gemmaVariableSpecs(config: GemmaBackboneConfig): { path: string; shape: number[] }[] {
  const resolved = resolveGemmaConfig(config);
  const { vocabularySize: V, hiddenDim: D, numQueryHeads: N, numKeyValueHeads: K, headDim: H } = resolved;
  const F = resolved.intermediateDim / 2;
  const specs = [{ path: 'token_embedding/embeddings', shape: [V, D] }];
  for (let index = 0; index < resolved.numLayers; index++) {
    const block = `decoder_block_${index}`;
    specs.push({ path: `${block}/pre_attention_norm/scale`, shape: [D] });
    if (resolved.usePostAttentionNorm) specs.push({ path: `${block}/post_attention_norm/scale`, shape: [D] });
    specs.push(
      { path: `${block}/attention/query/kernel`, shape: [N, D, H] },
      { path: `${block}/attention/key/kernel`, shape: [K, D, H] },
      { path: `${block}/attention/value/kernel`, shape: [K, D, H] },
      { path: `${block}/attention/attention_output/kernel`, shape: [N, H, D] },
      { path: `${block}/pre_ffw_norm/scale`, shape: [D] },
    );
    if (resolved.usePostFfwNorm) specs.push({ path: `${block}/post_ffw_norm/scale`, shape: [D] });
    specs.push(
      { path: `${block}/ffw_gating/kernel`, shape: [D, F] },
      { path: `${block}/ffw_gating_2/kernel`, shape: [D, F] },
      { path: `${block}/ffw_linear/kernel`, shape: [F, D] },
    );
  }
  specs.push({ path: 'final_normalization/scale', shape: [D] });
  return specs;
}
