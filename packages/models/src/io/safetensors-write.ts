// Writing safetensors files (the layout of safetensors-format.ts), atomically on disk or to bytes.

import { CheckpointError } from './errors.js';
import { writeAtomically, writeFileAtomic } from './files.js';
import { joinPath } from './paths.js';
import { SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE } from './safetensors-read.js';
import { encodeSafetensorsHeader, SAFETENSORS_NAME_OF } from './safetensors-format.js';
import { dtypeByteSize, elementCount, storedByteLength, storedDataBytes } from './stored-tensor.js';
import { checkWritableTensor, isStreamedTensor, materialize, produceChecked, rowsPerSlab, type WritableTensor } from './streamed-tensor.js';

// A StreamedTensor is written slab by slab (only one slab in memory), a StoredTensor at once.
type TensorsArgument = ReadonlyMap<string, WritableTensor> | Readonly<Record<string, WritableTensor>>;

/** Slab size when writing streamed tensors. */
const STREAM_SLAB_BYTES = 64 * 1024 * 1024;

interface Planned {
  header: Uint8Array;
  tensors: { key: string; tensor: WritableTensor }[];
}

function plan(tensors: TensorsArgument, metadata: Record<string, string> | undefined, label: string): Planned {
  const pairs: [string, WritableTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, WritableTensor>);
  const list = pairs.map(([key, tensor]) => ({ key, tensor }));
  for (const { key, tensor } of list) {
    if (key === '__metadata__' || key.length === 0) throw new CheckpointError('reserved or empty tensor key', { file: label, tensor: key });
    checkWritableTensor(tensor, { file: label, tensor: key });
    if (SAFETENSORS_NAME_OF[tensor.dtype] === undefined) {
      throw new CheckpointError(`safetensors has no ${tensor.dtype} dtype`, { file: label, tensor: key });
    }
  }
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (typeof value !== 'string') throw new CheckpointError(`__metadata__ value of "${key}" must be a string`, { file: label });
  }
  // Like the reference writer: larger element types first, then by name, so every tensor starts
  // aligned to its element size (the data section itself starts 8-byte aligned).
  list.sort((left, right) => dtypeByteSize(right.tensor.dtype) - dtypeByteSize(left.tensor.dtype) || (left.key < right.key ? -1 : left.key > right.key ? 1 : 0));
  let offset = 0;
  const layout = list.map(({ key, tensor }) => {
    const begin = offset;
    offset += storedByteLength(tensor);
    return { key, dtype: tensor.dtype, shape: [...tensor.shape], begin, end: offset };
  });
  return { header: encodeSafetensorsHeader(layout, metadata), tensors: list };
}

/**
 * Writes tensors to a safetensors file at `path` (temporary name, then rename). `metadata` is
 * the header's `__metadata__` (transformers writes `{ format: "pt" }`).
 */
export async function writeSafetensors(path: string, tensors: TensorsArgument, metadata?: Record<string, string>): Promise<void> {
  const { header, tensors: ordered } = plan(tensors, metadata, path);
  const { open } = await import('node:fs/promises');
  await writeAtomically(path, async (temporaryPath) => {
    const handle = await open(temporaryPath, 'w');
    try {
      await handle.write(header);
      const { writeSync } = await import('node:fs');
      for (const { key, tensor } of ordered) {
        if (!isStreamedTensor(tensor)) {
          await handle.write(storedDataBytes(tensor));
          continue;
        }
        produceChecked(tensor, rowsPerSlab(tensor, STREAM_SLAB_BYTES), { file: path, tensor: key }, (slab) => {
          const bytes = new Uint8Array(slab.buffer, slab.byteOffset, slab.byteLength);
          for (let written = 0; written < bytes.byteLength; ) written += writeSync(handle.fd, bytes, written, bytes.byteLength - written);
        });
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** The same file as bytes (browsers, uploads). */
export function writeSafetensorsToBytes(tensors: TensorsArgument, metadata?: Record<string, string>): Uint8Array {
  const { header, tensors: ordered } = plan(tensors, metadata, '(in memory)');
  const total = ordered.reduce((sum, { tensor }) => sum + storedByteLength(tensor), header.byteLength);
  const bytes = new Uint8Array(total);
  bytes.set(header, 0);
  let offset = header.byteLength;
  for (const { key, tensor } of ordered) {
    bytes.set(storedDataBytes(materialize(tensor, { tensor: key })), offset);
    offset += storedByteLength(tensor);
  }
  return bytes;
}

export interface WriteShardedSafetensorsOptions {
  /** Largest shard in bytes (transformers' `max_shard_size`; its default is 5 GB = 5e9). */
  maxShardSizeBytes: number;
  /** Each file's `__metadata__` (transformers writes `{ format: "pt" }`). */
  metadata?: Record<string, string>;
}

/**
 * Splits tensors into shards as huggingface_hub's `split_state_dict_into_shards` does (in the
 * given order: a tensor larger than the limit gets a shard of its own, otherwise a tensor that
 * would overflow the current shard starts a new one) and names them as transformers'
 * `save_pretrained` does (`model-00001-of-00003.safetensors`).
 */
function planSafetensorsShards(tensors: [string, WritableTensor][], maxShardSizeBytes: number): [string, WritableTensor][][] {
  const shards: [string, WritableTensor][][] = [];
  let current: [string, WritableTensor][] = [];
  let currentBytes = 0;
  for (const entry of tensors) {
    const bytes = storedByteLength(entry[1]);
    if (bytes > maxShardSizeBytes) {
      shards.push([entry]);
      continue;
    }
    if (current.length > 0 && currentBytes + bytes > maxShardSizeBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/**
 * Writes a Hugging Face checkpoint folder's weights: one `model.safetensors` when everything fits
 * in one shard, else `model-0000i-of-0000n.safetensors` files and `model.safetensors.index.json`
 * (keys sorted, 2-space indent, `total_parameters` and `total_size`, as transformers writes it).
 * Files from an earlier save that the new one does not use are removed, as `save_pretrained` does.
 */
export async function writeSafetensorsSharded(folder: string, tensors: TensorsArgument, options: WriteShardedSafetensorsOptions): Promise<string[]> {
  const pairs: [string, WritableTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, WritableTensor>);
  if (!(options.maxShardSizeBytes > 0)) throw new CheckpointError(`maxShardSizeBytes must be positive, got ${options.maxShardSizeBytes}`, { file: folder });
  for (const [key, tensor] of pairs) checkWritableTensor(tensor, { file: folder, tensor: key });
  const shards = planSafetensorsShards(pairs, options.maxShardSizeBytes);
  const count = shards.length;
  const names = count <= 1 ? [SAFETENSORS_FILE] : shards.map((_, index) => `model-${String(index + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`);
  const { mkdir, readdir, unlink } = await import('node:fs/promises');
  await mkdir(folder, { recursive: true });
  for (let index = 0; index < Math.max(count, 1); index++) {
    await writeSafetensors(joinPath(folder, names[index]!), new Map(shards[index] ?? []), options.metadata);
  }
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  let totalParameters = 0;
  shards.forEach((shard, index) => {
    for (const [key, tensor] of shard) {
      weightMap[key] = names[index]!;
      totalSize += storedByteLength(tensor);
      totalParameters += elementCount(tensor.shape);
    }
  });
  const stale = (name: string) => /^model(-\d{5}-of-\d{5})?\.safetensors$/.test(name) && !names.includes(name);
  for (const name of await readdir(folder)) if (stale(name)) await unlink(joinPath(folder, name));
  if (count > 1) {
    const sortedMap = Object.fromEntries(Object.keys(weightMap).sort().map((key) => [key, weightMap[key]]));
    const index = { metadata: { total_parameters: totalParameters, total_size: totalSize }, weight_map: sortedMap };
    await writeFileAtomic(joinPath(folder, SAFETENSORS_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  } else {
    await unlink(joinPath(folder, SAFETENSORS_INDEX_FILE)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  return count > 1 ? [SAFETENSORS_INDEX_FILE, ...names] : names;
}
