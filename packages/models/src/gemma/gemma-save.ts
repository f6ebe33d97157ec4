// Backbone.save_to_preset (spec §3.1–3.2, §4): config.json, metadata.json and the weights in
// KerasHub's exact group layout, sharded with an index past `maxShardSize` GiB. LoRA layers save
// their merged kernel, as Keras's save_own_variables does, so the preset reloads as a plain model.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor } from '@tensorzoo/core';
import type { Layer } from '@tensorzoo/layers';
import { gemmaLayerGroups, writeGemmaKerasLayerWeights, writeGemmaKerasWeights, writeJson, type StoredTensor } from '../io/index.js';
import type { GemmaBackbone } from './gemma-backbone.js';
import { gemmaParameterCount, toKerasConfig } from './gemma-config.js';
import { writePresetFolderAtomically } from './preset-directory.js';

export const kerasVersion = '3.16.0';
export const kerasHubVersion = '0.32.0';

export interface SaveToPresetOptions {
  /** Shard when the weights exceed this many GiB (KerasHub's max_shard_size, default 10). */
  maxShardSize?: number | null;
}

function toStored(value: Tensor, name = ''): StoredTensor {
  // int8: kernels and embeddings (packed int4 too) and int4 zero points, as stored.
  if (value.dtype === 'int8') return { shape: [...value.shape], dtype: 'int8', data: Int8Array.from(value.dataSync() as ArrayLike<number>) };
  // Keras stores g_idx as float32 whatever the variable's dtype.
  if (value.dtype === 'int32' && name !== 'g_idx') return { shape: [...value.shape], dtype: 'int32', data: Int32Array.from(value.dataSync() as ArrayLike<number>) };
  const dtype = value.dtype === 'bfloat16' || value.dtype === 'float16' ? value.dtype : 'float32';
  const data = dtype === 'float32' ? Float32Array.from(value.dataSync()) : (value.rawDataSync() as Uint16Array);
  return { shape: [...value.shape], dtype, data } as StoredTensor;
}

function leafLayers(root: Layer): Layer[] {
  return root.layers.flatMap((layer) => (layer.layers.length ? leafLayers(layer) : [layer]));
}

/** variable path → the tensor Keras would save for it (merged kernels for LoRA layers). */
export function savedVariables(backbone: GemmaBackbone): Map<string, Tensor> {
  const values = new Map<string, Tensor>();
  for (const layer of leafLayers(backbone)) {
    const merged = layer as Layer & { loraEnabled?: boolean; kernel?: Tensor; embeddings?: Tensor };
    for (const variable of layer.weights) {
      if (variable.name.startsWith('lora_')) continue;
      let value = variable.value;
      if (merged.loraEnabled && variable.name === 'kernel' && merged.kernel) value = merged.kernel;
      if (merged.loraEnabled && variable.name === 'embeddings' && merged.embeddings) value = merged.embeddings;
      values.set(variable.path, value);
    }
  }
  return values;
}

/**
 * Layer path → what Keras's save_own_variables stores for it (`vars/0`, `vars/1`, …): for a
 * quantized layer kernel (int8 or packed int4), kernel_scale, then kernel_zero and g_idx for
 * grouped int4; LoRA merged as the layer defines it.
 */
export function savedLayerValues(backbone: GemmaBackbone): Map<string, StoredTensor[]> {
  const byPath = new Map(backbone.allLayers.map((layer) => [layer.path, layer]));
  const values = new Map<string, StoredTensor[]>();
  for (const { layerPath } of gemmaLayerGroups(backbone.config)) {
    const layer = byPath.get(layerPath)!;
    const names = layer.weights.filter((variable) => !variable.name.startsWith('lora_')).map((variable) => variable.name);
    const saved = layer.saveOwnVariables();
    values.set(layerPath, saved.map((value, index) => toStored(value, names[index])));
  }
  return values;
}

export async function saveGemmaBackboneToPreset(backbone: GemmaBackbone, presetDir: string, options: SaveToPresetOptions = {}): Promise<void> {
  await writePresetFolderAtomically(presetDir, (folder) => writeBackboneFiles(backbone, folder, options));
}

/** The backbone's files (weights, config.json, metadata.json) into `presetDir` as it is. */
export async function writeBackboneFiles(backbone: GemmaBackbone, presetDir: string, options: SaveToPresetOptions = {}): Promise<void> {
  await mkdir(presetDir, { recursive: true });
  const maxShardSize = options.maxShardSize === undefined ? 10 : options.maxShardSize;
  const writeOptions = { maxShardSizeBytes: maxShardSize === null ? undefined : maxShardSize * 1024 ** 3, naming: { backboneName: backbone.config.name } };
  const quantized = Object.keys(backbone.config.quantizedLayers ?? {}).length > 0;
  let parameterCount: number;
  if (quantized) {
    // Layer by layer (vars/0..n), int8 datasets as stored; Keras counts every stored element.
    const layers = savedLayerValues(backbone);
    await writeGemmaKerasLayerWeights(presetDir, layers, backbone.config, writeOptions);
    parameterCount = [...layers.values()].flat().reduce((total, value) => total + value.data.length, 0);
  } else {
    const variables = new Map([...savedVariables(backbone)].map(([path, value]) => [path, toStored(value)]));
    // The full KerasHub group tree (empty groups and name attributes included), bf16 as opaque.
    await writeGemmaKerasWeights(presetDir, variables, backbone.config, writeOptions);
    parameterCount = gemmaParameterCount(backbone.config);
  }
  await writeJson(
    join(presetDir, 'config.json'),
    { module: 'keras_hub.src.models.gemma.gemma_backbone', class_name: 'GemmaBackbone', config: toKerasConfig(backbone.config), registered_name: 'keras_hub>GemmaBackbone' },
    { indent: 4 },
  );
  const now = new Date();
  const pad = (value: number) => String(value).padStart(2, '0');
  await writeJson(
    join(presetDir, 'metadata.json'),
    {
      keras_version: kerasVersion,
      keras_hub_version: kerasHubVersion,
      parameter_count: parameterCount,
      date_saved: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`,
      tasks: ['CausalLM'],
    },
    { indent: 4 },
  );
}
