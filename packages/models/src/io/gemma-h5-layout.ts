// Where each GemmaBackbone variable lives in a Keras weights file, and back (spec §4.1, §4.2,
// §9.12). Keras addresses top-level layers by class-derived names in graph order
// (`reversible_embedding`, `gemma_decoder_block`, `gemma_decoder_block_1`, `rms_normalization`)
// and nested layers by the Python attribute that holds them (`query_dense`, `gating_ffw`), while
// variable paths (`decoder_block_1/attention/query/kernel`, spec §1.8) use the layers' Keras
// names. Checked against the fixture files' actual groups and the reference `weights` lists.

import { CheckpointError } from './errors.js';

/** The GemmaBackbone settings that change the file layout. */
export interface GemmaLayoutConfig {
  numLayers: number;
  usePostAttentionNorm?: boolean;
  usePostFfwNorm?: boolean;
  /** Dropout > 0 adds two empty dropout groups per block (`attention_dropout`, `feedforward_dropout`). */
  dropout?: number;
}

type OptionalNorm = 'usePostAttentionNorm' | 'usePostFfwNorm';

interface BlockVariable {
  /** Below `decoder_block_<i>/` in the variable path. */
  variable: string;
  /** Below the block's group in the file (the dataset is `vars/0`). */
  group: string;
  onlyWith?: OptionalNorm;
}

// In Keras variable order: the order of `backbone.weights` and of the reference `weights` lists.
const BLOCK_VARIABLES: readonly BlockVariable[] = [
  { variable: 'pre_attention_norm/scale', group: 'pre_attention_norm' },
  { variable: 'post_attention_norm/scale', group: 'post_attention_norm', onlyWith: 'usePostAttentionNorm' },
  { variable: 'attention/query/kernel', group: 'attention/query_dense' },
  { variable: 'attention/key/kernel', group: 'attention/key_dense' },
  { variable: 'attention/value/kernel', group: 'attention/value_dense' },
  { variable: 'attention/attention_output/kernel', group: 'attention/output_dense' },
  { variable: 'pre_ffw_norm/scale', group: 'pre_ffw_norm' },
  { variable: 'post_ffw_norm/scale', group: 'post_ffw_norm', onlyWith: 'usePostFfwNorm' },
  { variable: 'ffw_gating/kernel', group: 'gating_ffw' },
  { variable: 'ffw_gating_2/kernel', group: 'gating_ffw_2' },
  { variable: 'ffw_linear/kernel', group: 'ffw_linear' },
];

const TOKEN_EMBEDDING = { variable: 'token_embedding/embeddings', group: 'layers/reversible_embedding' };
const FINAL_NORMALIZATION = { variable: 'final_normalization/scale', group: 'layers/rms_normalization' };

/** Every dataset of a Keras layer with one variable is `<group>/vars/0`. */
const DATASET = 'vars/0';

/** The file group of decoder block `index`: Keras' container naming gives the first no suffix. */
export function gemmaBlockGroup(index: number): string {
  return index === 0 ? 'layers/gemma_decoder_block' : `layers/gemma_decoder_block_${index}`;
}

function checkConfig(config: GemmaLayoutConfig): void {
  if (!Number.isSafeInteger(config.numLayers) || config.numLayers < 0) {
    throw new CheckpointError(`numLayers must be a non-negative integer, got ${config.numLayers}`);
  }
}

function blockVariablesFor(config: GemmaLayoutConfig): BlockVariable[] {
  return BLOCK_VARIABLES.filter((entry) => entry.onlyWith === undefined || config[entry.onlyWith] === true);
}

/** Every variable path of a GemmaBackbone with this layout, in Keras' weight order (spec §1.8). */
export function gemmaVariablePaths(config: GemmaLayoutConfig): string[] {
  checkConfig(config);
  const paths = [TOKEN_EMBEDDING.variable];
  const blockVariables = blockVariablesFor(config);
  for (let index = 0; index < config.numLayers; index++) {
    for (const entry of blockVariables) paths.push(`decoder_block_${index}/${entry.variable}`);
  }
  paths.push(FINAL_NORMALIZATION.variable);
  return paths;
}

/**
 * The HDF5 dataset path of a variable, e.g. `decoder_block_1/attention/query/kernel` →
 * `layers/gemma_decoder_block_1/attention/query_dense/vars/0`.
 */
export function gemmaH5PathFor(variablePath: string, config: GemmaLayoutConfig): string {
  checkConfig(config);
  if (variablePath === TOKEN_EMBEDDING.variable) return `${TOKEN_EMBEDDING.group}/${DATASET}`;
  if (variablePath === FINAL_NORMALIZATION.variable) return `${FINAL_NORMALIZATION.group}/${DATASET}`;
  const match = /^decoder_block_(0|[1-9]\d*)\/(.+)$/.exec(variablePath);
  if (match) {
    const index = Number(match[1]);
    const entry = BLOCK_VARIABLES.find((candidate) => candidate.variable === match[2]);
    if (entry && index < config.numLayers) {
      if (entry.onlyWith !== undefined && config[entry.onlyWith] !== true) {
        throw new CheckpointError(`${variablePath} exists only with ${entry.onlyWith}: true`, { tensor: variablePath });
      }
      return `${gemmaBlockGroup(index)}/${entry.group}/${DATASET}`;
    }
    if (entry) {
      throw new CheckpointError(`block ${index} is out of range for numLayers ${config.numLayers}`, { tensor: variablePath });
    }
  }
  throw new CheckpointError('not a GemmaBackbone variable path', { tensor: variablePath });
}

/**
 * The variable path of an HDF5 dataset path (a leading `/` is accepted): the inverse of
 * `gemmaH5PathFor`.
 */
export function gemmaVariablePathFor(h5Path: string, config: GemmaLayoutConfig): string {
  checkConfig(config);
  const path = h5Path.replace(/^\/+/, '');
  if (path === `${TOKEN_EMBEDDING.group}/${DATASET}`) return TOKEN_EMBEDDING.variable;
  if (path === `${FINAL_NORMALIZATION.group}/${DATASET}`) return FINAL_NORMALIZATION.variable;
  const match = /^layers\/gemma_decoder_block(?:_([1-9]\d*))?\/(.+)\/vars\/0$/.exec(path);
  if (match) {
    const index = match[1] === undefined ? 0 : Number(match[1]);
    const entry = blockVariablesFor(config).find((candidate) => candidate.group === match[2]);
    if (entry && index < config.numLayers) return `decoder_block_${index}/${entry.variable}`;
  }
  throw new CheckpointError('not a GemmaBackbone weights dataset for this configuration', { tensor: path });
}

/** A group Keras creates when saving, with the `name` attribute it gives it. */
export interface KerasGroup {
  /** Group path without leading slash and without the trailing `/vars` ("" for the root). */
  path: string;
  /** The Keras layer name written as the `vars` group's `name` attribute; undefined writes none. */
  name?: string;
}

export interface GemmaNamingOptions {
  /** The backbone's Keras name (its `config.json` `name`); default "gemma_backbone". */
  backboneName?: string;
  /**
   * Keras names unnamed layers from per-class counters that live for the whole Python session
   * (`dropout`, `dropout_1`, ...; `softmax`, `softmax_1`, ...). The first decoder block's
   * attention gets number `autoNameStart` (0 gives the bare name); the fixtures were saved with
   * 0 (keras_gemma_tiny), 2 (keras_gemma2_tiny) and 3 (the bf16 copy). Keras never reads these
   * names back, so they only matter for byte-for-byte comparisons.
   */
  autoNameStart?: number;
}

function autoName(base: string, counter: number): string {
  return counter === 0 ? base : `${base}_${counter}`;
}

/**
 * Every group Keras' saving walk creates for a GemmaBackbone, in the order it creates them
 * (spec §4.1: own `vars` first, then `model.layers` in graph order, then attributes sorted by
 * name), each with its `name` attribute. The order decides which shard an empty group lands in.
 */
export function gemmaKerasGroups(config: GemmaLayoutConfig, naming: GemmaNamingOptions = {}): KerasGroup[] {
  checkConfig(config);
  const start = naming.autoNameStart ?? 0;
  const withDropout = (config.dropout ?? 0) > 0;
  // Dropout counters: with dropout > 0 each block's constructor makes two Dropout layers before
  // its attention is built (and makes its own), so those take numbers first, block by block.
  const dropoutsPerBlock = withDropout ? 3 : 1;
  const groups: KerasGroup[] = [
    { path: '', name: naming.backboneName ?? 'gemma_backbone' },
    { path: 'layers/input_layer', name: 'token_ids' },
    { path: TOKEN_EMBEDDING.group, name: 'token_embedding' },
    { path: 'layers/input_layer_1', name: 'padding_mask' },
  ];
  for (let index = 0; index < config.numLayers; index++) {
    const block = gemmaBlockGroup(index);
    const attentionDropout = start + index * dropoutsPerBlock + (withDropout ? 2 : 0);
    groups.push(
      { path: block, name: `decoder_block_${index}` },
      { path: `${block}/attention`, name: 'attention' },
      { path: `${block}/attention/dropout_layer`, name: autoName('dropout', attentionDropout) },
      { path: `${block}/attention/key_dense`, name: 'key' },
      { path: `${block}/attention/output_dense`, name: 'attention_output' },
      { path: `${block}/attention/query_dense`, name: 'query' },
      { path: `${block}/attention/rope_layer`, name: autoName('rotary_embedding', start + index) },
      { path: `${block}/attention/softmax`, name: autoName('softmax', start + index) },
      { path: `${block}/attention/value_dense`, name: 'value' },
    );
    if (withDropout) {
      groups.push(
        { path: `${block}/attention_dropout`, name: autoName('dropout', start + index * dropoutsPerBlock) },
        { path: `${block}/feedforward_dropout`, name: autoName('dropout', start + index * dropoutsPerBlock + 1) },
      );
    }
    groups.push(
      { path: `${block}/ffw_linear`, name: 'ffw_linear' },
      { path: `${block}/gating_ffw`, name: 'ffw_gating' },
      { path: `${block}/gating_ffw_2`, name: 'ffw_gating_2' },
    );
    if (config.usePostAttentionNorm) groups.push({ path: `${block}/post_attention_norm`, name: 'post_attention_norm' });
    if (config.usePostFfwNorm) groups.push({ path: `${block}/post_ffw_norm`, name: 'post_ffw_norm' });
    groups.push(
      { path: `${block}/pre_attention_norm`, name: 'pre_attention_norm' },
      { path: `${block}/pre_ffw_norm`, name: 'pre_ffw_norm' },
    );
  }
  groups.push({ path: FINAL_NORMALIZATION.group, name: 'final_normalization' });
  return groups;
}

/** A GemmaBackbone layer that owns variables, and the file group holding them (`<group>/vars/<n>`). */
export interface GemmaLayerGroup {
  /** The layer's Keras path: `token_embedding`, `decoder_block_0/attention/query`, `final_normalization`. */
  layerPath: string;
  /** Its group in the file, without `/vars`: `layers/gemma_decoder_block/attention/query_dense`. */
  group: string;
}

/** The layer path of a variable path (`decoder_block_0/attention/query/kernel` → `decoder_block_0/attention/query`). */
function layerOfVariable(variablePath: string): string {
  return variablePath.slice(0, variablePath.lastIndexOf('/'));
}

/**
 * Every variable-owning layer of this layout with its file group, in the saving walk's order (the
 * order of `gemmaKerasGroups`). A quantized layer keeps its group and stores its variables as
 * `vars/0`, `vars/1`, … in Keras's serialization order (kernel, kernel_scale, kernel_zero, g_idx).
 */
export function gemmaLayerGroups(config: GemmaLayoutConfig): GemmaLayerGroup[] {
  const byGroup = new Map<string, string>();
  for (const variablePath of gemmaVariablePaths(config)) {
    const h5Path = gemmaH5PathFor(variablePath, config);
    byGroup.set(h5Path.slice(0, -`/${DATASET}`.length), layerOfVariable(variablePath));
  }
  const ordered: GemmaLayerGroup[] = [];
  for (const group of gemmaKerasGroups(config)) {
    const layerPath = byGroup.get(group.path);
    if (layerPath !== undefined) ordered.push({ layerPath, group: group.path });
  }
  return ordered;
}

/** The file group of a variable-owning layer (`decoder_block_1/ffw_linear` → `layers/gemma_decoder_block_1/ffw_linear`). */
export function gemmaH5GroupForLayer(layerPath: string, config: GemmaLayoutConfig): string {
  const found = gemmaLayerGroups(config).find((entry) => entry.layerPath === layerPath);
  if (!found) throw new CheckpointError('not a variable-owning GemmaBackbone layer of this configuration', { tensor: layerPath });
  return found.group;
}

/**
 * Entries for `writeKerasWeights` from each layer's saved values (Keras's `save_own_variables`
 * order), in file walk order: `<group>/vars/0`, `vars/1`, … Every layer of the layout must be
 * present with at least one value, and nothing else.
 */
export function gemmaLayerWeightEntries<T>(layers: ReadonlyMap<string, readonly T[]>, config: GemmaLayoutConfig): { h5Path: string; tensor: T }[] {
  const ordered = gemmaLayerGroups(config);
  const known = new Set(ordered.map((entry) => entry.layerPath));
  const unknown = [...layers.keys()].filter((path) => !known.has(path));
  if (unknown.length > 0) throw new CheckpointError(`not variable-owning layers of this Gemma layout: ${unknown.join(', ')}`, { tensor: unknown[0] });
  const entries: { h5Path: string; tensor: T }[] = [];
  for (const { layerPath, group } of ordered) {
    const values = layers.get(layerPath);
    if (values === undefined || values.length === 0) throw new CheckpointError('layer missing (no saved values)', { tensor: layerPath });
    values.forEach((tensor, index) => entries.push({ h5Path: `${group}/vars/${index}`, tensor }));
  }
  return entries;
}

/**
 * Orders variables for writing (file walk order, which decides sharding) and gives each its
 * dataset path: the `entries` argument of `writeKerasWeights`. `variables` maps variable paths
 * to tensors; every variable of the layout must be present and nothing else.
 */
export function gemmaWeightEntries<T>(variables: ReadonlyMap<string, T>, config: GemmaLayoutConfig): { h5Path: string; tensor: T }[] {
  const expected = gemmaVariablePaths(config);
  const unknown = [...variables.keys()].filter((path) => !expected.includes(path));
  if (unknown.length > 0) throw new CheckpointError(`not variables of this Gemma layout: ${unknown.join(', ')}`, { tensor: unknown[0] });
  const byH5Path = new Map<string, T>();
  for (const path of expected) {
    const tensor = variables.get(path);
    if (tensor === undefined) throw new CheckpointError('variable missing', { tensor: path });
    byH5Path.set(gemmaH5PathFor(path, config), tensor);
  }
  const entries: { h5Path: string; tensor: T }[] = [];
  for (const group of gemmaKerasGroups(config)) {
    const h5Path = `${group.path}/${DATASET}`;
    const tensor = byH5Path.get(h5Path);
    if (tensor !== undefined) entries.push({ h5Path, tensor });
  }
  return entries;
}
