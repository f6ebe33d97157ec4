// Writing GGUF files (gguf-format.ts) as a stream: the header (metadata and every tensor's name,
// shape, type and offset) is computed from shapes alone, then each tensor is produced slab by
// slab (a StreamedTensor in float32, bfloat16 or float16), converted to its GGUF type and
// appended. Only one slab is in memory at a time. The file is written under a temporary name and
// renamed into place.

import { CheckpointError } from './errors.js';
import { writeAtomically } from './files.js';
import {
  ByteWriter,
  GGML_TYPE,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  Q8_0_BLOCK,
  float32ToFloat16Bits,
  ggmlByteLength,
  quantizeQ8_0,
  writeMetadataEntry,
  type GgmlTypeName,
  type GgufValue,
} from './gguf-format.js';
import { elementCount, float32ToBfloat16Bits, toFloat32, type StoredData } from './stored-tensor.js';
import { checkWritableTensor, isStreamedTensor, produceChecked, rowGeometry, rowsPerSlab, streamStored, type WritableTensor } from './streamed-tensor.js';

export interface GgufTensor {
  /** GGUF tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** Row-major source data (float32, bfloat16 or float16); its shape in numpy order. */
  data: WritableTensor;
  /** The type stored in the file. */
  type: GgmlTypeName;
}

export interface WriteGgufOptions {
  /** Ordered metadata; `general.alignment` is honoured when given (default 32). */
  metadata: readonly (readonly [string, GgufValue])[];
  tensors: readonly GgufTensor[];
  onProgress?: (event: { label: string; loaded: number; total: number; unit: 'bytes' }) => void;
}

const SLAB_BYTES = 32 * 1024 * 1024;

function alignmentOf(metadata: WriteGgufOptions['metadata']): number {
  const entry = metadata.find(([key]) => key === 'general.alignment');
  if (!entry) return GGUF_DEFAULT_ALIGNMENT;
  const value = entry[1];
  if (value.type !== 'uint32' || !Number.isInteger(value.value) || value.value <= 0 || value.value % 8 !== 0)
    throw new CheckpointError(`general.alignment must be a uint32 multiple of 8, got ${JSON.stringify(value)}`);
  return value.value;
}

function align(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/** Header bytes and each tensor's offset and byte length. */
export function planGguf(options: Pick<WriteGgufOptions, 'metadata' | 'tensors'>, label = '(gguf)'): { header: Uint8Array; layout: { offset: number; bytes: number }[]; total: number } {
  const alignment = alignmentOf(options.metadata);
  const names = new Set<string>();
  const writer = new ByteWriter();
  writer.raw(new TextEncoder().encode(GGUF_MAGIC));
  writer.u32(GGUF_VERSION);
  writer.u64(options.tensors.length);
  writer.u64(options.metadata.length);
  const keys = new Set<string>();
  for (const [key, value] of options.metadata) {
    if (keys.has(key)) throw new CheckpointError(`metadata key "${key}" is given twice`, { file: label });
    keys.add(key);
    writeMetadataEntry(writer, key, value);
  }
  const layout: { offset: number; bytes: number }[] = [];
  let offset = 0;
  for (const tensor of options.tensors) {
    const where = { file: label, tensor: tensor.name };
    if (names.has(tensor.name)) throw new CheckpointError('tensor name is given twice', where);
    names.add(tensor.name);
    checkWritableTensor(tensor.data, where);
    if (!['float32', 'bfloat16', 'float16'].includes(tensor.data.dtype)) throw new CheckpointError(`GGUF export needs floating-point data, got ${tensor.data.dtype}`, where);
    if (GGML_TYPE[tensor.type] === undefined) throw new CheckpointError(`unsupported GGUF tensor type ${String(tensor.type)}`, where);
    const shape = tensor.data.shape;
    const rowLength = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    if (tensor.type === 'Q8_0' && rowLength % Q8_0_BLOCK !== 0)
      throw new CheckpointError(`Q8_0 needs rows that are a multiple of ${Q8_0_BLOCK} values, the row length is ${rowLength}`, where);
    const bytes = ggmlByteLength(tensor.type, elementCount(shape));
    writer.string(tensor.name);
    const dims = shape.length === 0 ? [1] : [...shape].reverse();
    writer.u32(dims.length);
    for (const dimension of dims) writer.u64(dimension);
    writer.u32(GGML_TYPE[tensor.type]);
    writer.u64(offset);
    layout.push({ offset, bytes });
    offset = align(offset + bytes, alignment);
  }
  writer.pad(alignment);
  return { header: writer.result(), layout, total: offset };
}

/** Converts one slab of source values to the bytes of `type`. */
function encodeSlab(slab: StoredData, dtype: WritableTensor['dtype'], type: GgmlTypeName): Uint8Array {
  const asBytes = (data: StoredData) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if ((type === 'F32' && dtype === 'float32') || (type === 'BF16' && dtype === 'bfloat16') || (type === 'F16' && dtype === 'float16')) return asBytes(slab);
  const values = toFloat32({ shape: [slab.length], dtype, data: slab });
  switch (type) {
    case 'F32':
      return asBytes(values);
    case 'BF16':
      return asBytes(float32ToBfloat16Bits(values));
    case 'F16':
      return asBytes(float32ToFloat16Bits(values));
    case 'Q8_0':
      return quantizeQ8_0(values);
  }
}

/** Writes a GGUF file at `path` (temporary name, then rename). Returns its size in bytes. */
export async function writeGguf(path: string, options: WriteGgufOptions): Promise<number> {
  const { header, layout, total } = planGguf(options, path);
  const { open } = await import('node:fs/promises');
  const { writeSync } = await import('node:fs');
  let written = 0;
  await writeAtomically(path, async (temporaryPath) => {
    const handle = await open(temporaryPath, 'w');
    try {
      const put = (bytes: Uint8Array) => {
        for (let done = 0; done < bytes.byteLength; ) done += writeSync(handle.fd, bytes, done, bytes.byteLength - done);
      };
      put(header);
      let position = 0;
      options.tensors.forEach((tensor, index) => {
        const { offset, bytes } = layout[index]!;
        if (offset > position) put(new Uint8Array(offset - position));
        const where = { file: path, tensor: tensor.name };
        const source = isStreamedTensor(tensor.data) ? tensor.data : streamStored(tensor.data);
        let tensorBytes = 0;
        // Slabs of whole rows of the last axis' length keep Q8_0 blocks inside one slab.
        const { rowElements } = rowGeometry(source.shape);
        const slabRows = rowsPerSlab(source, SLAB_BYTES);
        produceChecked(source, slabRows, where, (slab) => {
          const encoded = encodeSlab(slab, source.dtype, tensor.type);
          put(encoded);
          tensorBytes += encoded.byteLength;
          written += encoded.byteLength;
          options.onProgress?.({ label: 'writing GGUF', loaded: written, total: total, unit: 'bytes' });
        });
        if (tensorBytes !== bytes) throw new CheckpointError(`wrote ${tensorBytes} bytes where the header promised ${bytes} (row of ${rowElements})`, where);
        position = offset + bytes;
      });
      if (total > position) put(new Uint8Array(total - position));
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
  return header.byteLength + total;
}
