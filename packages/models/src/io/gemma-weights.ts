// One-call reading and writing of a GemmaBackbone's Keras weights by variable path, combining
// the generic Keras h5 reader/writer with the Gemma layout (gemma-h5-layout.ts), and applying
// Keras' loading checks (spec §4.4): every variable must be present, a layer's group must hold
// exactly as many datasets as the layer has variables, and unknown groups (optimizer state,
// for example) are ignored.

import { CheckpointError } from './errors.js';
import { gemmaH5PathFor, gemmaKerasGroups, gemmaLayerWeightEntries, gemmaVariablePaths, gemmaWeightEntries, type GemmaLayoutConfig, type GemmaNamingOptions } from './gemma-h5-layout.js';
import { readKerasWeights, readKerasWeightsFromBytes, type KerasWeights } from './keras-weights-read.js';
import { writeKerasWeights, writeKerasWeightsToBytes } from './keras-weights-write.js';
import type { StoredTensor } from './stored-tensor.js';

export interface ReadGemmaWeightsOptions {
  /** Expected shape per variable path; a different stored shape is an error naming file and tensor. */
  shapes?: ReadonlyMap<string, readonly number[]>;
}

function collect(weights: KerasWeights, config: GemmaLayoutConfig, options: ReadGemmaWeightsOptions): Map<string, StoredTensor> {
  const description = weights.files[0] ?? 'Keras weights';
  const variables = new Map<string, StoredTensor>();
  const expectedH5Paths = new Set<string>();
  for (const variablePath of gemmaVariablePaths(config)) {
    const h5Path = gemmaH5PathFor(variablePath, config);
    expectedH5Paths.add(h5Path);
    if (!weights.has(h5Path)) {
      throw new CheckpointError(`tensor not found (it holds ${variablePath})`, { file: description, tensor: h5Path });
    }
    const shape = options.shapes?.get(variablePath);
    variables.set(variablePath, weights.get(h5Path, shape ? { shape } : undefined));
  }
  // Keras' per-layer count check: each Gemma layer has one variable, stored as vars/0.
  const layerGroups = new Set([...expectedH5Paths].map((path) => path.slice(0, path.lastIndexOf('/'))));
  for (const path of weights.paths()) {
    const group = path.slice(0, path.lastIndexOf('/'));
    if (layerGroups.has(group) && !expectedH5Paths.has(path)) {
      throw new CheckpointError(`layer group ${group} holds more variables than the layer has (Keras refuses to load it)`, {
        file: weights.info(path).file,
        tensor: path,
      });
    }
  }
  return variables;
}

/**
 * Reads every variable of a GemmaBackbone with this layout from a KerasHub preset folder (or a
 * `.weights.h5` / `.weights.json` path), keyed by variable path (`decoder_block_0/attention/query/kernel`).
 */
export async function readGemmaKerasWeights(location: string, config: GemmaLayoutConfig, options: ReadGemmaWeightsOptions = {}): Promise<Map<string, StoredTensor>> {
  const weights = await readKerasWeights(location);
  try {
    return collect(weights, config, options);
  } finally {
    weights.close();
  }
}

/** The same from files in memory (see `readKerasWeightsFromBytes`). */
export async function readGemmaKerasWeightsFromBytes(
  files: ReadonlyMap<string, Uint8Array>,
  config: GemmaLayoutConfig,
  options: ReadGemmaWeightsOptions = {},
): Promise<Map<string, StoredTensor>> {
  const weights = await readKerasWeightsFromBytes(files);
  try {
    return collect(weights, config, options);
  } finally {
    weights.close();
  }
}

export interface WriteGemmaWeightsOptions {
  /** Shard above this many bytes (KerasHub's `max_shard_size` GiB times 1024³). */
  maxShardSizeBytes?: number;
  /** The backbone's Keras name and the session counter for unnamed layers (name attributes only). */
  naming?: GemmaNamingOptions;
}

/**
 * Writes a GemmaBackbone's variables (keyed by variable path) as KerasHub saves them: the full
 * group tree with name attributes, bf16 as opaque, sharded with an index above the limit.
 */
export async function writeGemmaKerasWeights(
  presetDir: string,
  variables: ReadonlyMap<string, StoredTensor>,
  config: GemmaLayoutConfig,
  options: WriteGemmaWeightsOptions = {},
): Promise<void> {
  await writeKerasWeights(presetDir, gemmaWeightEntries(variables, config), {
    groups: gemmaKerasGroups(config, options.naming),
    maxShardSizeBytes: options.maxShardSizeBytes,
  });
}

/** The same, returning the files as bytes by name. */
export async function writeGemmaKerasWeightsToBytes(
  variables: ReadonlyMap<string, StoredTensor>,
  config: GemmaLayoutConfig,
  options: WriteGemmaWeightsOptions = {},
): Promise<Map<string, Uint8Array>> {
  return writeKerasWeightsToBytes(gemmaWeightEntries(variables, config), {
    groups: gemmaKerasGroups(config, options.naming),
    maxShardSizeBytes: options.maxShardSizeBytes,
  });
}

/**
 * Writes a GemmaBackbone's weights keyed by layer path, each layer's values in Keras's
 * `save_own_variables` order (`<group>/vars/0`, `vars/1`, …): the form quantized layers need
 * (kernel, kernel_scale, kernel_zero, g_idx), and plain layers too.
 */
export async function writeGemmaKerasLayerWeights(
  presetDir: string,
  layers: ReadonlyMap<string, readonly StoredTensor[]>,
  config: GemmaLayoutConfig,
  options: WriteGemmaWeightsOptions = {},
): Promise<void> {
  await writeKerasWeights(presetDir, gemmaLayerWeightEntries(layers, config), {
    groups: gemmaKerasGroups(config, options.naming),
    maxShardSizeBytes: options.maxShardSizeBytes,
  });
}

/** The same, returning the files as bytes by name. */
export async function writeGemmaKerasLayerWeightsToBytes(
  layers: ReadonlyMap<string, readonly StoredTensor[]>,
  config: GemmaLayoutConfig,
  options: WriteGemmaWeightsOptions = {},
): Promise<Map<string, Uint8Array>> {
  return writeKerasWeightsToBytes(gemmaLayerWeightEntries(layers, config), {
    groups: gemmaKerasGroups(config, options.naming),
    maxShardSizeBytes: options.maxShardSizeBytes,
  });
}
