// Loading a GemmaBackbone from a local preset folder: KerasHub layout (config.json with
// `registered_name`, model.weights.h5 or the sharded set) or Hugging Face layout (config.json with
// `model_type`, safetensors), dispatched as KerasHub's get_preset_loader does (spec §3.3, §3.5).
import { join } from 'node:path';
import { argumentError, reshape, tensor, tidy, transpose, TensorzooError, type Tensor } from '@tensorzoo/core';
import type { Variable } from '@tensorzoo/layers';
import { gemmaH5PathFor, readJson, readKerasWeights, readSafetensors, type StoredTensor } from '../io/index.js';
import type { CheckpointErrorLocation } from '../io/errors.js';
import { checkFloatWeight } from '../io/weight-checks.js';
import { GemmaBackbone } from './gemma-backbone.js';
import { fromKerasConfig, type GemmaBackboneConfig, type GemmaDType } from './gemma-config.js';
import { checkPresetConfigBeforeBuild } from './config-checks.js';
import { loadLayerWeightsInto } from './gemma-layer-loader.js';
import { canQuantizeOnLoad, quantizedBackboneFromFolder } from './gemma-quantize-on-load.js';

export interface LoadProgress {
  label: string;
  loaded: number;
  total: number;
  unit?: 'bytes' | 'items';
}

export interface LoadOptions {
  /** Variable dtype; KerasHub ignores the saved dtype and uses the global policy (float32). */
  dtype?: GemmaDType;
  loadWeights?: boolean;
  onProgress?: (event: LoadProgress) => void;
  /** Extra constructor arguments merged over the stored configuration (KerasHub's kwargs). */
  config?: Partial<GemmaBackboneConfig>;
  /** Quantize after loading ('int8' or 'int4', as `quantize(mode)`); a quantized preset loads quantized without it. */
  quantize?: 'int8' | 'int4';
  /**
   * Keras's `distribution`: a ModelParallel runs the backbone tensor-parallel over wasm shard
   * workers placed as its layout map says (src/parallel/; the result is a ParallelGemmaBackbone).
   */
  distribution?: import('../distribution/index.js').ModelParallel;
}

export type PresetFormat = 'keras' | 'transformers';

/** Which loader a folder needs, from its config.json (KerasHub's dispatch order). */
export async function detectPresetFormat(folder: string): Promise<{ format: PresetFormat; config: Record<string, any> }> {
  const config = await readJson(join(folder, 'config.json'), { what: 'the preset configuration (config.json)' });
  if (config && typeof config === 'object' && 'registered_name' in config) return { format: 'keras', config };
  if (config && typeof config === 'object' && 'model_type' in config) return { format: 'transformers', config };
  throw new TensorzooError(`${join(folder, 'config.json')}: unrecognized preset format: expected a KerasHub config (with "registered_name") or a Hugging Face config (with "model_type")`);
}

/** A Hugging Face config → GemmaBackbone arguments (spec §3.5's table). */
export function convertTransformersConfig(config: Record<string, any>, file = 'config.json'): GemmaBackboneConfig {
  const modelType = config.model_type;
  if (modelType !== 'gemma' && modelType !== 'gemma2')
    throw new TensorzooError(`${file}: model_type expected "gemma" or "gemma2" (the Gemma converter), received ${JSON.stringify(modelType)}`);
  const required = (key: string): number => {
    if (typeof config[key] !== 'number') throw new TensorzooError(`${file}: ${key} expected a number (required by the ${modelType} converter), received ${JSON.stringify(config[key])}`);
    return config[key];
  };
  const base: GemmaBackboneConfig = {
    vocabularySize: required('vocab_size'),
    numLayers: required('num_hidden_layers'),
    numQueryHeads: required('num_attention_heads'),
    numKeyValueHeads: required('num_key_value_heads'),
    hiddenDim: required('hidden_size'),
    intermediateDim: 2 * required('intermediate_size'),
    headDim: required('head_dim'),
  };
  if (modelType === 'gemma') return base;
  const scalar = required('query_pre_attn_scalar');
  return {
    ...base,
    queryHeadDimNormalize: base.headDim === scalar,
    queryPreAttentionScalar: scalar,
    usePostFfwNorm: true,
    usePostAttentionNorm: true,
    finalLogitSoftCap: config.final_logit_softcapping ?? null,
    attentionLogitSoftCap: config.attn_logit_softcapping ?? null,
    slidingWindowSize: required('sliding_window'),
    useSlidingWindowAttention: true,
  };
}

/** The KerasHub backbone config inside a preset's config.json, checked to be a GemmaBackbone. */
export function readKerasBackboneConfig(config: Record<string, any>, file = 'config.json'): GemmaBackboneConfig {
  const registered = String(config.registered_name ?? '');
  const className = config.class_name ?? registered.split('>').pop();
  if (className !== 'GemmaBackbone')
    throw new TensorzooError(`${file}: saved preset has type ${JSON.stringify(registered || className)}, which is not a subclass of calling class GemmaBackbone`);
  if (!config.config || typeof config.config !== 'object') throw new TensorzooError(`${file}: expected a "config" object in the serialized backbone`);
  return fromKerasConfig(config.config, file);
}

/** A float weight as a tensor; an integer dtype or a NaN/Inf in it is an error at `where` (issue 19). */
export function storedToTensor(stored: StoredTensor, where: CheckpointErrorLocation = {}): Tensor {
  checkFloatWeight(stored, where);
  const data = stored.data as ArrayLike<number>;
  switch (stored.dtype) {
    case 'float32':
    case 'bfloat16':
    case 'float16':
      return tensor(stored.data as Float32Array | Uint16Array, stored.shape, stored.dtype);
    case 'float64':
      return tensor(Float32Array.from(data), stored.shape, 'float32');
    default:
      return tensor(Float32Array.from(data, Number), stored.shape, 'float32');
  }
}

export function assignChecked(variable: Variable, value: Tensor, file: string, tensorName: string): void {
  if (value.shape.length !== variable.shape.length || value.shape.some((size, axis) => size !== variable.shape[axis]))
    throw new TensorzooError(`${file}: tensor ${tensorName} has shape [${value.shape.join(', ')}], expected [${variable.shape.join(', ')}] for ${variable.path}`);
  variable.assign(value);
}

/**
 * `new GemmaBackbone(config)` whose argument errors ("argument 'numKeyValueHeads' expected a
 * positive integer, received 0") name the config file the value came from (issue 19).
 */
function constructNamingConfigFile(config: GemmaBackboneConfig, configFile: string, options: LoadOptions): GemmaBackbone {
  try {
    return new GemmaBackbone(config);
  } catch (error) {
    if (!(error instanceof TensorzooError) || error.message.includes(configFile)) throw error;
    const source = options.config === undefined ? configFile : `${configFile} (with options.config over it)`;
    throw new TensorzooError(`${source}: ${error.message}`, { cause: error });
  }
}

/** Builds a backbone from a local KerasHub or Hugging Face folder. */
export async function loadGemmaBackboneFromFolder(folder: string, options: LoadOptions = {}): Promise<GemmaBackbone> {
  if (options.distribution !== undefined) {
    // Imported on demand: the parallel executor builds on this module.
    const { ParallelGemmaBackbone } = await import('../parallel/index.js');
    return (await ParallelGemmaBackbone.load(folder, { ...options, distribution: options.distribution })) as unknown as GemmaBackbone;
  }
  const { format, config } = await detectPresetFormat(folder);
  const configFile = join(folder, 'config.json');
  const stored = format === 'keras' ? readKerasBackboneConfig(config, configFile) : convertTransformersConfig(config, configFile);
  // Before any layer is built: sizes within bounds and the block count equal to the weights'.
  await checkPresetConfigBeforeBuild({ ...stored, ...options.config }, folder, format, configFile, options.loadWeights !== false);
  const buildConfig: GemmaBackboneConfig = { ...stored, ...options.config, dtype: options.dtype ?? options.config?.dtype ?? 'float32' };
  // quantize on a float preset: built quantized, each float kernel quantized on the host as it is read.
  if (options.quantize !== undefined && canQuantizeOnLoad(buildConfig, options.quantize)) return quantizedBackboneFromFolder(buildConfig, options.quantize, format, folder, options);
  const backbone = constructNamingConfigFile(buildConfig, configFile, options);
  if (options.loadWeights === false) {
    if (options.quantize !== undefined) backbone.quantize(options.quantize);
    return backbone;
  }
  try {
    if (format === 'keras') await loadKerasWeightsInto(backbone, folder, options);
    else await loadTransformersWeightsInto(backbone, folder, options);
    if (options.quantize !== undefined) backbone.quantize(options.quantize);
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  return backbone;
}

async function loadKerasWeightsInto(backbone: GemmaBackbone, folder: string, options: LoadOptions): Promise<void> {
  const weights = await readKerasWeights(folder);
  if (Object.keys(backbone.config.quantizedLayers ?? {}).length > 0) {
    // Quantized: the layers were built quantized from the policy map; read each layer's vars/0..n.
    try {
      loadLayerWeightsInto(backbone, weights, folder, (loaded, total) => options.onProgress?.({ label: 'loading weights', loaded, total, unit: 'items' }));
    } finally {
      weights.close();
    }
    return;
  }
  try {
    const variables = backbone.weights;
    variables.forEach((variable, index) => {
      const h5Path = gemmaH5PathFor(variable.path, backbone.config);
      if (!weights.has(h5Path)) throw new TensorzooError(`${folder}: the weights file has no tensor ${h5Path} (for ${variable.path})`);
      const value = storedToTensor(weights.get(h5Path), { file: weights.info(h5Path).file, tensor: h5Path });
      try {
        assignChecked(variable, value, folder, h5Path);
      } finally {
        value.dispose();
      }
      options.onProgress?.({ label: 'loading weights', loaded: index + 1, total: variables.length, unit: 'items' });
    });
  } finally {
    weights.close();
  }
}

/** HF tensor name and the transform that turns it into the Keras kernel (spec §3.5). */
export function transformersSource(variablePath: string, config: GemmaBackbone['config']): { key: string; convert: (value: Tensor) => Tensor } {
  const identity = (value: Tensor) => value;
  const { numQueryHeads: N, numKeyValueHeads: K, headDim: H, hiddenDim: D } = config;
  if (variablePath === 'token_embedding/embeddings') return { key: 'model.embed_tokens.weight', convert: identity };
  if (variablePath === 'final_normalization/scale') return { key: 'model.norm.weight', convert: identity };
  const match = /^decoder_block_(\d+)\/(.+)$/.exec(variablePath);
  if (!match) throw new TensorzooError(`no Hugging Face tensor maps to ${variablePath}`);
  const layer = `model.layers.${match[1]}`;
  const gemma2 = config.usePostAttentionNorm;
  // [heads * H, D] → [heads, D, H]: kernel[n, d, h] = W[n * H + h, d].
  const projection = (heads: number) => (value: Tensor) => transpose(reshape(value, [heads, H, D]), [0, 2, 1]);
  switch (match[2]) {
    case 'pre_attention_norm/scale':
      return { key: `${layer}.input_layernorm.weight`, convert: identity };
    case 'post_attention_norm/scale':
      return { key: `${layer}.post_attention_layernorm.weight`, convert: identity };
    case 'pre_ffw_norm/scale':
      return { key: gemma2 ? `${layer}.pre_feedforward_layernorm.weight` : `${layer}.post_attention_layernorm.weight`, convert: identity };
    case 'post_ffw_norm/scale':
      return { key: `${layer}.post_feedforward_layernorm.weight`, convert: identity };
    case 'attention/query/kernel':
      return { key: `${layer}.self_attn.q_proj.weight`, convert: projection(N) };
    case 'attention/key/kernel':
      return { key: `${layer}.self_attn.k_proj.weight`, convert: projection(K) };
    case 'attention/value/kernel':
      return { key: `${layer}.self_attn.v_proj.weight`, convert: projection(K) };
    case 'attention/attention_output/kernel':
      // [D, N * H] → [N, H, D]: kernel[n, h, d] = W[d, n * H + h].
      return { key: `${layer}.self_attn.o_proj.weight`, convert: (value) => transpose(reshape(value, [D, N, H]), [1, 2, 0]) };
    case 'ffw_gating/kernel':
      return { key: `${layer}.mlp.gate_proj.weight`, convert: (value) => transpose(value) };
    case 'ffw_gating_2/kernel':
      return { key: `${layer}.mlp.up_proj.weight`, convert: (value) => transpose(value) };
    case 'ffw_linear/kernel':
      return { key: `${layer}.mlp.down_proj.weight`, convert: (value) => transpose(value) };
    default:
      throw new TensorzooError(`no Hugging Face tensor maps to ${variablePath}`);
  }
}

async function loadTransformersWeightsInto(backbone: GemmaBackbone, folder: string, options: LoadOptions): Promise<void> {
  const weights = await readSafetensors(folder);
  try {
    const variables = backbone.weights;
    variables.forEach((variable, index) => {
      const { key, convert } = transformersSource(variable.path, backbone.config);
      if (!weights.has(key)) throw new TensorzooError(`${folder}: the safetensors checkpoint has no tensor ${key} (for ${variable.path})`);
      const stored = weights.get(key);
      const expectedSize = variable.shape.reduce((total, size) => total * size, 1);
      const storedSize = stored.shape.reduce((total: number, size: number) => total * size, 1);
      if (storedSize !== expectedSize)
        throw new TensorzooError(`${folder}: tensor ${key} has shape [${stored.shape.join(', ')}], expected ${expectedSize} elements for ${variable.path} [${variable.shape.join(', ')}]`);
      tidy(() => {
        assignChecked(variable, convert(storedToTensor(stored, { file: weights.info(key).file, tensor: key })), folder, key);
      });
      options.onProgress?.({ label: 'loading weights', loaded: index + 1, total: variables.length, unit: 'items' });
    });
  } finally {
    weights.close?.();
  }
}

export function checkLoadOptions(options: LoadOptions): void {
  if (options.dtype !== undefined && !['float32', 'bfloat16', 'float16'].includes(options.dtype))
    argumentError('GemmaBackbone.fromPreset', 'dtype', "'float32', 'bfloat16' or 'float16'", String(options.dtype));
}
