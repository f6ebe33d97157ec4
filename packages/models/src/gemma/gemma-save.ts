// Backbone.save_to_preset (spec §3.1–3.2, §4): config.json, metadata.json and the weights in
// KerasHub's exact group layout, sharded with an index past `maxShardSize` GiB. LoRA layers save
// their merged kernel, as Keras's save_own_variables does, so the preset reloads as a plain model.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor } from '@tensorzoo/core';
import type { Layer } from '@tensorzoo/layers';
import { writeGemmaKerasWeights, writeJson, type StoredTensor } from '../io/index.js';
import type { GemmaBackbone } from './gemma-backbone.js';
import { gemmaParameterCount, toKerasConfig } from './gemma-config.js';

export const kerasVersion = '3.16.0';
export const kerasHubVersion = '0.32.0';

export interface SaveToPresetOptions {
  /** Shard when the weights exceed this many GiB (KerasHub's max_shard_size, default 10). */
  maxShardSize?: number | null;
}

function toStored(value: Tensor): StoredTensor {
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

export async function saveGemmaBackboneToPreset(backbone: GemmaBackbone, presetDir: string, options: SaveToPresetOptions = {}): Promise<void> {
  await mkdir(presetDir, { recursive: true });
  const variables = new Map([...savedVariables(backbone)].map(([path, value]) => [path, toStored(value)]));
  const maxShardSize = options.maxShardSize === undefined ? 10 : options.maxShardSize;
  // The full KerasHub group tree (empty groups and name attributes included), bf16 as opaque.
  await writeGemmaKerasWeights(presetDir, variables, backbone.config, {
    maxShardSizeBytes: maxShardSize === null ? undefined : maxShardSize * 1024 ** 3,
    naming: { backboneName: backbone.config.name },
  });
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
      parameter_count: gemmaParameterCount(backbone.config),
      date_saved: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`,
      tasks: ['CausalLM'],
    },
    { indent: 4 },
  );
}
