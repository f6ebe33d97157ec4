// KerasHub's `.lora.h5` files (spec §2.8), written by `Backbone.save_lora_weights` through Keras'
// H5IOStore: `/lora/vars/rank` (scalar integer, int64 from numpy) and, for every LoRA-enabled
// layer index j in ascending order, `/lora/<j>/vars/lora_kernel_a` and `.../lora_kernel_b`
// (float32). No `name` attributes. Layers are identified by their index in the backbone's
// flattened layer list, which the model code computes (for Gemma: value 8 + 11i, query 10 + 11i
// without post norms).

import { CheckpointError } from './errors.js';
import { openH5Bytes, openH5Path, readDatasetBytes, type OpenH5 } from './h5-runtime.js';
import { walkH5 } from './h5-tree.js';
import { writeKerasWeightsFile, writeKerasWeightsToBytes, type KerasWeightEntry } from './keras-weights-write.js';
import { dtypeByteSize, storedDataFromBytes, type StoredDType, type StoredTensor } from './stored-tensor.js';

export interface LoraFactors {
  a: StoredTensor;
  b: StoredTensor;
}

export interface LoraWeights {
  rank: number;
  /** By layer index in KerasHub's flattened layer list, in ascending order. */
  layers: Map<number, LoraFactors>;
}

/** KerasHub's required suffix, and its error for anything else (`save_lora_weights`). */
export const LORA_FILE_SUFFIX = '.lora.h5';

function readLora(open: OpenH5): LoraWeights {
  const datasets = new Map<string, { shape: number[]; dtype: StoredDType }>();
  const layerIndices = new Set<number>();
  for (const node of walkH5(open)) {
    if (node.kind === 'dataset') {
      if (node.dtype === undefined || node.dtype.startsWith('unsupported')) {
        throw new CheckpointError(`cannot read this dataset's type (${node.dtype})`, { file: open.label, tensor: node.path });
      }
      datasets.set(node.path, { shape: node.shape ?? [], dtype: node.dtype as StoredDType });
    }
    const layer = /^lora\/(0|[1-9]\d*)$/.exec(node.path);
    if (node.kind === 'group' && layer) layerIndices.add(Number(layer[1]));
  }
  const read = (path: string): StoredTensor => {
    const info = datasets.get(path);
    if (!info) throw new CheckpointError('missing from the LoRA file', { file: open.label, tensor: path });
    const bytes = readDatasetBytes(open, path, info.shape, dtypeByteSize(info.dtype));
    return { shape: [...info.shape], dtype: info.dtype, data: storedDataFromBytes(info.dtype, bytes) };
  };
  const rankTensor = read('lora/vars/rank');
  if (rankTensor.shape.length !== 0 || !/^u?int/.test(rankTensor.dtype)) {
    throw new CheckpointError(`rank must be a scalar integer, got ${rankTensor.dtype} of shape ${JSON.stringify(rankTensor.shape)}`, {
      file: open.label,
      tensor: 'lora/vars/rank',
    });
  }
  const rank = Number(rankTensor.data[0]);
  if (!Number.isSafeInteger(rank) || rank <= 0) {
    throw new CheckpointError(`rank must be a positive integer, got ${rank}`, { file: open.label, tensor: 'lora/vars/rank' });
  }
  const layers = new Map<number, LoraFactors>();
  for (const index of [...layerIndices].sort((left, right) => left - right)) {
    const a = read(`lora/${index}/vars/lora_kernel_a`);
    const b = read(`lora/${index}/vars/lora_kernel_b`);
    checkFactors(index, a, b, rank, open.label);
    layers.set(index, { a, b });
  }
  return { rank, layers };
}

/** A is `kernel.shape[:-1] + (rank,)` and B is `(rank, kernel.shape[-1])`, both float32 (spec §2.7). */
function checkFactors(index: number, a: StoredTensor, b: StoredTensor, rank: number, file: string): void {
  for (const [name, tensor] of [['lora_kernel_a', a], ['lora_kernel_b', b]] as const) {
    if (tensor.dtype !== 'float32') {
      throw new CheckpointError(`LoRA factors are float32 in Keras, got ${tensor.dtype}`, { file, tensor: `lora/${index}/vars/${name}` });
    }
  }
  if (a.shape.length < 2 || a.shape.at(-1) !== rank) {
    throw new CheckpointError(`expected a shape ending in the rank ${rank}, got ${JSON.stringify(a.shape)}`, { file, tensor: `lora/${index}/vars/lora_kernel_a` });
  }
  if (b.shape.length !== 2 || b.shape[0] !== rank) {
    throw new CheckpointError(`expected shape [${rank}, units], got ${JSON.stringify(b.shape)}`, { file, tensor: `lora/${index}/vars/lora_kernel_b` });
  }
}

/** Reads a `.lora.h5` file (like KerasHub's loader, the suffix is not checked when reading). */
export async function readLoraWeights(path: string): Promise<LoraWeights> {
  const open = await openH5Path(path, 'LoRA weights file');
  try {
    return readLora(open);
  } finally {
    open.close();
  }
}

/** The same from bytes; `label` names the file in errors. */
export async function readLoraWeightsFromBytes(bytes: Uint8Array, label = 'weights.lora.h5'): Promise<LoraWeights> {
  const open = await openH5Bytes(label, bytes, 'LoRA weights file');
  try {
    return readLora(open);
  } finally {
    open.close();
  }
}

function loraEntries(rank: number, layers: ReadonlyMap<number, LoraFactors>, label: string): { entries: KerasWeightEntry[]; groups: { path: string }[] } {
  if (!Number.isSafeInteger(rank) || rank <= 0) throw new CheckpointError(`rank must be a positive integer, got ${rank}`, { file: label });
  if (layers.size === 0) {
    throw new CheckpointError('There are no lora-enabled layers in this model. Make sure to call `.enable_lora(rank)` first.', { file: label });
  }
  const entries: KerasWeightEntry[] = [{ h5Path: 'lora/vars/rank', tensor: { shape: [], dtype: 'int64', data: BigInt64Array.of(BigInt(rank)) } }];
  const groups = [{ path: 'lora' }];
  for (const index of [...layers.keys()].sort((left, right) => left - right)) {
    if (!Number.isSafeInteger(index) || index < 0) throw new CheckpointError(`layer index must be a non-negative integer, got ${index}`, { file: label });
    const { a, b } = layers.get(index)!;
    checkFactors(index, a, b, rank, label);
    groups.push({ path: `lora/${index}` });
    entries.push({ h5Path: `lora/${index}/vars/lora_kernel_a`, tensor: a }, { h5Path: `lora/${index}/vars/lora_kernel_b`, tensor: b });
  }
  return { entries, groups };
}

/**
 * Writes a `.lora.h5` file KerasHub's `load_lora_weights` reads. Like `save_lora_weights`, the
 * name must end in `.lora.h5` and there must be at least one layer.
 */
export async function writeLoraWeights(path: string, rank: number, layers: ReadonlyMap<number, LoraFactors>): Promise<void> {
  if (!path.endsWith(LORA_FILE_SUFFIX)) {
    throw new CheckpointError(`The filename must end in \`${LORA_FILE_SUFFIX}\`. Received: filepath=${path}`, { file: path });
  }
  const { entries, groups } = loraEntries(rank, layers, path);
  await writeKerasWeightsFile(path, entries, { groups });
}

/** The same file as bytes. */
export async function writeLoraWeightsToBytes(rank: number, layers: ReadonlyMap<number, LoraFactors>): Promise<Uint8Array> {
  const { entries, groups } = loraEntries(rank, layers, '(in memory)');
  const files = await writeKerasWeightsToBytes(entries, { groups });
  return [...files.values()][0]!;
}
