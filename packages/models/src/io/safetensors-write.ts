// Writing safetensors files (the layout of safetensors-format.ts), atomically on disk or to bytes.

import { CheckpointError } from './errors.js';
import { writeAtomically } from './files.js';
import { encodeSafetensorsHeader, SAFETENSORS_NAME_OF } from './safetensors-format.js';
import { checkStoredTensor, dtypeByteSize, storedByteLength, storedDataBytes, type StoredTensor } from './stored-tensor.js';

type TensorsArgument = ReadonlyMap<string, StoredTensor> | Readonly<Record<string, StoredTensor>>;

interface Planned {
  header: Uint8Array;
  tensors: { key: string; tensor: StoredTensor }[];
}

function plan(tensors: TensorsArgument, metadata: Record<string, string> | undefined, label: string): Planned {
  const pairs: [string, StoredTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, StoredTensor>);
  const list = pairs.map(([key, tensor]) => ({ key, tensor }));
  for (const { key, tensor } of list) {
    if (key === '__metadata__' || key.length === 0) throw new CheckpointError('reserved or empty tensor key', { file: label, tensor: key });
    checkStoredTensor(tensor, { file: label, tensor: key });
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
      for (const { tensor } of ordered) await handle.write(storedDataBytes(tensor));
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
  for (const { tensor } of ordered) {
    bytes.set(storedDataBytes(tensor), offset);
    offset += storedByteLength(tensor);
  }
  return bytes;
}
