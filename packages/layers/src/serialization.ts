// Layers by class name: serializeLayer gives {className, config}; deserializeLayer rebuilds the
// layer (without weights) through the class's fromConfig. Custom layers register themselves.
import { argumentError } from '@tensorzoo/core';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { EinsumDense } from './einsum-dense.js';
import { Embedding } from './embedding.js';
import type { Layer } from './layer.js';
import { ReversibleEmbedding } from './reversible-embedding.js';
import { RMSNormalization } from './rms-normalization.js';
import { Softmax } from './softmax.js';

export interface SerializedLayer {
  className: string;
  config: Record<string, unknown>;
}

type LayerClass = { name: string; fromConfig(config: Record<string, unknown>): Layer };

const registry = new Map<string, LayerClass>();

/** Makes `layerClass` known to deserializeLayer under `className` (default: the class's name). */
export function registerLayer(layerClass: LayerClass, className: string = layerClass.name): void {
  registry.set(className, layerClass);
}

for (const layerClass of [Dense, Dropout, EinsumDense, Embedding, ReversibleEmbedding, RMSNormalization, Softmax] as unknown as LayerClass[])
  registerLayer(layerClass);

export function serializeLayer(layer: Layer): SerializedLayer {
  return { className: layer.constructor.name, config: layer.getConfig() };
}

export function deserializeLayer(serialized: SerializedLayer): Layer {
  const layerClass = serialized && registry.get(serialized.className);
  if (!layerClass) argumentError('deserializeLayer', 'className', `a registered layer (${[...registry.keys()].join(', ')})`, serialized?.className);
  return layerClass.fromConfig(serialized.config ?? {});
}
