// The weights of a preset folder, one tensor at a time, in the model's variable order: what the
// coordinator reads, slices and hands to the shards. Only one tensor (plus the slice being sent)
// lives in the JavaScript heap at a time; nothing is kept. KerasHub folders give each dataset as
// stored (bfloat16 stays 16-bit bits, int8 stays int8); Hugging Face checkpoints go through the
// same transform as the single-memory loader (transformersSource) on the coordinator's backend.
import { TensorzooError, tensor, tidy } from '@tensorzoo/core';
import type { Variable } from '@tensorzoo/layers';
import { dtypeByteSize, gemmaH5PathFor, gemmaLayerGroups, readKerasWeights, readSafetensors, storedDataFromBytes, type KerasWeights, type StoredTensor } from '../io/index.js';
import { openH5Path, readDatasetBytes, type OpenH5 } from '../io/h5-runtime.js';
import type { GemmaBackbone } from '../gemma/gemma-backbone.js';
import { serializedVariables } from '../gemma/gemma-layer-loader.js';
import { transformersSource } from '../gemma/gemma-loader.js';

/** One variable's full value as host data: Float32Array, Uint16Array (bfloat16/float16 bits) or Int8Array. */
export interface HostTensor {
  path: string;
  shape: number[];
  dtype: 'float32' | 'bfloat16' | 'float16' | 'int8';
  data: Float32Array | Uint16Array | Int8Array;
  /** Where it came from, for messages. */
  source: string;
}

function hostData(stored: StoredTensor): Pick<HostTensor, 'dtype' | 'data'> {
  switch (stored.dtype) {
    case 'float32':
      return { dtype: 'float32', data: stored.data as Float32Array };
    case 'bfloat16':
    case 'float16':
      return { dtype: stored.dtype, data: stored.data as Uint16Array };
    case 'int8':
      return { dtype: 'int8', data: stored.data as Int8Array };
    default:
      return { dtype: 'float32', data: Float32Array.from(stored.data as ArrayLike<number>, Number) };
  }
}

function checkShape(variable: Variable, shape: readonly number[], file: string, name: string): void {
  if (shape.length !== variable.shape.length || shape.some((size, axis) => size !== variable.shape[axis]))
    throw new TensorzooError(`${file}: tensor ${name} has shape [${shape.join(', ')}], expected [${variable.shape.join(', ')}] for ${variable.path}`);
}

/**
 * Datasets above this size are read in slabs of this size through a reader of our own: the
 * KerasWeights reader reads in 256 MiB slabs, and h5wasm's heap keeps the size of the largest slab
 * for the rest of the process (measured: 336 MB of the coordinator's memory after loading
 * gemma_2b_en), which the model-parallel RSS bound cannot afford.
 */
export const weightStreamLimits = { slabBytes: 32 * 2 ** 20 };

/** Reads one dataset, large ones in small slabs (`opened` caches one handle per file; the caller closes them). */
async function readDataset(weights: KerasWeights, name: string, opened: Map<string, OpenH5>): Promise<StoredTensor> {
  const info = weights.info(name);
  const bytes = info.shape.reduce((product, size) => product * size, 1) * dtypeByteSize(info.dtype);
  if (bytes <= weightStreamLimits.slabBytes) return weights.get(name);
  let open = opened.get(info.file);
  if (!open) {
    open = await openH5Path(info.file, 'the weights file');
    opened.set(info.file, open);
  }
  const data = readDatasetBytes(open, name.replace(/^\/+/, ''), info.shape, dtypeByteSize(info.dtype), weightStreamLimits.slabBytes);
  return { shape: [...info.shape], dtype: info.dtype, data: storedDataFromBytes(info.dtype, data) };
}

/** The (lazy, never materialized) full backbone's variables, each read from `folder` when the caller asks for the next. */
export async function* streamPresetWeights(backbone: GemmaBackbone, folder: string, format: 'keras' | 'transformers'): AsyncGenerator<HostTensor> {
  if (format === 'keras') {
    const weights = await readKerasWeights(folder);
    const opened = new Map<string, OpenH5>();
    try {
      const quantized = Object.keys(backbone.config.quantizedLayers ?? {}).length > 0;
      if (quantized) {
        // Quantized layers store vars/0..n in Keras's serialization order (gemma-layer-loader.ts).
        const byPath = new Map(backbone.allLayers.map((layer) => [layer.path, layer]));
        for (const { layerPath, group } of gemmaLayerGroups(backbone.config)) {
          const variables = serializedVariables(byPath.get(layerPath)!);
          for (const [position, variable] of variables.entries()) {
            const name = `${group}/vars/${position}`;
            if (!weights.has(name)) throw new TensorzooError(`${folder}: the weights file has no tensor ${name} (for ${variable.path})`);
            const info = weights.info(name);
            checkShape(variable, info.shape, info.file, name);
            if ((variable.dtype === 'int8') !== (info.dtype === 'int8'))
              throw new TensorzooError(`${info.file}: ${variable.path} (/${name}) is stored as ${info.dtype}, expected ${variable.dtype}`);
            // Read inside the yielded object only: while suspended, this frame keeps no reference to the data.
            yield { path: variable.path, shape: info.shape, ...hostData(await readDataset(weights, name, opened)), source: name };
          }
        }
        return;
      }
      for (const variable of backbone.weights) {
        const name = gemmaH5PathFor(variable.path, backbone.config);
        if (!weights.has(name)) throw new TensorzooError(`${folder}: the weights file has no tensor ${name} (for ${variable.path})`);
        const info = weights.info(name);
        checkShape(variable, info.shape, folder, name);
        yield { path: variable.path, shape: info.shape, ...hostData(await readDataset(weights, name, opened)), source: name };
      }
    } finally {
      for (const open of opened.values()) open.close();
      weights.close();
    }
    return;
  }
  const weights = await readSafetensors(folder);
  try {
    for (const variable of backbone.weights) {
      const { key, convert } = transformersSource(variable.path, backbone.config);
      if (!weights.has(key)) throw new TensorzooError(`${folder}: the safetensors checkpoint has no tensor ${key} (for ${variable.path})`);
      const stored = weights.get(key);
      const expectedSize = variable.size;
      const storedSize = stored.shape.reduce((total: number, size: number) => total * size, 1);
      if (storedSize !== expectedSize)
        throw new TensorzooError(`${folder}: tensor ${key} has shape [${stored.shape.join(', ')}], expected ${expectedSize} elements for ${variable.path} [${variable.shape.join(', ')}]`);
      if (!variable.path.endsWith('/kernel')) {
        // Embeddings and norm scales are stored as Keras holds them.
        checkShape(variable, stored.shape, folder, key);
        yield { path: variable.path, shape: stored.shape, ...hostData(stored), source: key };
        continue;
      }
      // Projections are transposed/reshaped (spec §3.5) by the same transform as the single-memory loader.
      const host = hostData(stored);
      const converted = tidy(() => convert(tensor(host.data as never, stored.shape, host.dtype)));
      try {
        checkShape(variable, converted.shape, folder, key);
        const data = converted.dtype === 'bfloat16' || converted.dtype === 'float16' ? (converted.rawDataSync() as Uint16Array) : (converted.dataSync() as Float32Array);
        const dtype = converted.dtype === 'bfloat16' || converted.dtype === 'float16' ? converted.dtype : 'float32';
        yield { path: variable.path, shape: [...converted.shape], dtype, data, source: key };
      } finally {
        converted.dispose();
      }
    }
  } finally {
    weights.close?.();
  }
}

