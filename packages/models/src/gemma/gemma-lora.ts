// Backbone-level LoRA with KerasHub's semantics (keras_hub/src/models/backbone.py, spec §2.8):
// targets matched by exact layer name, everything else frozen, and `.lora.h5` files that address
// layers by their index in Keras's reversed depth-first flattening.
import { argumentError, TensorzooError } from '@tensorzoo/core';
import type { Layer } from '@tensorzoo/layers';
import { readLoraWeights, writeLoraWeights, type StoredTensor } from '../io/index.js';

export const defaultLoraLayerNames = ['query_dense', 'value_dense', 'query', 'value'] as const;

interface LoraCapable extends Layer {
  enableLora(rank: number, options?: { loraAlpha?: number | null }): void;
  loraKernelA: { assign(value: ArrayLike<number>): void; numpy(): Float32Array | Int32Array; shape: readonly number[] } | null;
  loraKernelB: { assign(value: ArrayLike<number>): void; numpy(): Float32Array | Int32Array; shape: readonly number[] } | null;
}

export interface LoraState {
  rank: number;
  /** Indices into `weightedLayers(backbone)` of the layers with LoRA, ascending. */
  indices: number[];
}

/**
 * Keras's `_flatten_layers` walk: pop from the front, then push the popped layer's children onto
 * the front with `extendleft` (which reverses them). Only layers owning weights are kept.
 */
export function weightedLayers(root: Layer): Layer[] {
  const queue = [...root.layers];
  const result: Layer[] = [];
  while (queue.length) {
    const layer = queue.shift()!;
    result.push(layer);
    queue.unshift(...[...layer.layers].reverse());
  }
  return result.filter((layer) => layer.weights.length > 0);
}

function isLoraCapable(layer: Layer): layer is LoraCapable {
  return typeof (layer as Partial<LoraCapable>).enableLora === 'function';
}

export function enableBackboneLora(root: Layer, rank: number, targetLayerNames: readonly string[] = defaultLoraLayerNames): LoraState {
  if (!Number.isInteger(rank) || rank <= 0) argumentError('enableLora', 'rank', 'a positive integer', String(rank));
  if (!Array.isArray(targetLayerNames) || targetLayerNames.some((name) => typeof name !== 'string'))
    argumentError('enableLora', 'targetLayerNames', 'an array of layer names', targetLayerNames);
  root.trainable = true;
  const all = weightedLayers(root);
  for (const layer of all) layer.trainable = false;
  const indices: number[] = [];
  all.forEach((layer, index) => {
    if (targetLayerNames.includes(layer.name) && isLoraCapable(layer)) {
      layer.trainable = true;
      layer.enableLora(rank);
      indices.push(index);
    }
  });
  return { rank, indices };
}

export async function saveBackboneLora(root: Layer, state: LoraState | null, path: string): Promise<void> {
  if (!state || state.indices.length === 0)
    throw new TensorzooError('saveLoraWeights: there are no lora-enabled layers in this model; make sure to call enableLora(rank) first');
  if (typeof path !== 'string' || !path.endsWith('.lora.h5')) argumentError('saveLoraWeights', 'path', 'a filename ending in `.lora.h5`', String(path));
  const all = weightedLayers(root);
  const layers = new Map<number, { a: StoredTensor; b: StoredTensor }>();
  for (const index of state.indices) {
    const layer = all[index] as LoraCapable;
    const a = layer.loraKernelA!;
    const b = layer.loraKernelB!;
    layers.set(index, {
      a: { shape: [...a.shape], dtype: 'float32', data: Float32Array.from(a.numpy()) },
      b: { shape: [...b.shape], dtype: 'float32', data: Float32Array.from(b.numpy()) },
    });
  }
  await writeLoraWeights(path, state.rank, layers);
}

/** Loads factors; enables LoRA with the file's rank and default targets when not yet enabled. */
export async function loadBackboneLora(root: Layer, state: LoraState | null, path: string): Promise<LoraState> {
  const file = await readLoraWeights(path);
  let current = state;
  if (!current) current = enableBackboneLora(root, file.rank);
  else if (current.rank !== file.rank)
    throw new TensorzooError(`loadLoraWeights: the LoRA rank in ${path} (${file.rank}) does not match the model's LoRA rank (${current.rank}); both ranks must match`);
  const all = weightedLayers(root);
  for (const index of current.indices) {
    const entry = file.layers.get(index);
    if (!entry) throw new TensorzooError(`loadLoraWeights: ${path} has no factors for layer index ${index} (${(all[index] as Layer).path}); was it saved with other target layers?`);
    const layer = all[index] as LoraCapable;
    for (const [name, stored, variable] of [['lora_kernel_a', entry.a, layer.loraKernelA!], ['lora_kernel_b', entry.b, layer.loraKernelB!]] as const) {
      if (stored.shape.length !== variable.shape.length || stored.shape.some((size, axis) => size !== variable.shape[axis]))
        throw new TensorzooError(`loadLoraWeights: ${path} /lora/${index}/vars/${name} has shape [${stored.shape.join(', ')}], expected [${variable.shape.join(', ')}]`);
      variable.assign(Float32Array.from(stored.data as ArrayLike<number>));
    }
  }
  return current;
}
