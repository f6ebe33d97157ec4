// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
// JSON header `{ "<key>": { "dtype", "shape", "data_offsets": [begin, end] }, "__metadata__":
// { string: string } }` (padded with spaces), then the data, offsets relative to its start.
// Parsing validates everything the reference implementation validates: header size, JSON, known
// dtypes, shapes, byte lengths that match shape x dtype, and offsets that tile the data exactly.

import { CheckpointError, describeError } from './errors.js';
import { dtypeByteSize, elementCount, type StoredDType } from './stored-tensor.js';

/** safetensors dtype names and ours (F8 and other exotic types are not supported). */
export const SAFETENSORS_DTYPES: Readonly<Record<string, StoredDType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U64: 'uint64',
  U32: 'uint32',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool',
};

export const SAFETENSORS_NAME_OF: Readonly<Record<StoredDType, string>> = Object.fromEntries(
  Object.entries(SAFETENSORS_DTYPES).map(([name, dtype]) => [dtype, name]),
) as Record<StoredDType, string>;

/** The reference implementation refuses headers above 100 MB; so do we. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  key: string;
  dtype: StoredDType;
  shape: number[];
  /** Absolute byte offset of the tensor's data in the file. */
  start: number;
  byteLength: number;
  /** Bytes per element of `dtype`. */
  elementByteSize: number;
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Where the data section starts (8 + header length). */
  dataStart: number;
}

/** Reads N from the first 8 bytes and checks it against the file size. */
export function safetensorsHeaderLength(prefix: Uint8Array, fileSize: number, label: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new CheckpointError(`safetensors file is truncated: ${fileSize} bytes, shorter than the 8-byte header length`, { file: label });
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new CheckpointError(`safetensors header claims ${length} bytes, more than the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit (corrupt file?)`, { file: label });
  }
  if (Number(length) + 8 > fileSize) {
    throw new CheckpointError(`safetensors file is truncated: header claims ${length} bytes but the file has ${fileSize}`, { file: label });
  }
  return Number(length);
}

/** Parses and validates the JSON header against the file size. */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, label: string): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new CheckpointError(`safetensors header is not valid UTF-8 JSON: ${describeError(error)}`, { file: label }, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError('safetensors header is not a JSON object', { file: label });
  }
  const dataStart = 8 + headerBytes.byteLength;
  const dataLength = fileSize - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  const spans: { begin: number; end: number; key: string }[] = [];
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value !== 'object' || value === null || Object.values(value).some((item) => typeof item !== 'string')) {
        throw new CheckpointError('safetensors __metadata__ must map strings to strings', { file: label });
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    const where = { file: label, tensor: key };
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof info?.dtype === 'string' ? SAFETENSORS_DTYPES[info.dtype] : undefined;
    if (dtype === undefined) throw new CheckpointError(`unsupported or missing dtype ${JSON.stringify(info?.dtype)}`, where);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.some((dimension) => !Number.isSafeInteger(dimension) || dimension < 0)) {
      throw new CheckpointError(`invalid shape ${JSON.stringify(shape)}`, where);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((offset) => !Number.isSafeInteger(offset) || offset < 0) || offsets[1] < offsets[0]) {
      throw new CheckpointError(`invalid data_offsets ${JSON.stringify(offsets)}`, where);
    }
    const [begin, end] = offsets as [number, number];
    const expected = elementCount(shape as number[]) * dtypeByteSize(dtype);
    if (end - begin !== expected) {
      throw new CheckpointError(`data_offsets span ${end - begin} bytes but shape ${JSON.stringify(shape)} of ${info.dtype} needs ${expected}`, where);
    }
    if (end > dataLength) {
      throw new CheckpointError(`data ends at byte ${dataStart + end} but the file has only ${fileSize} bytes (truncated file?)`, where);
    }
    entries.set(key, { key, dtype, shape: [...(shape as number[])], start: dataStart + begin, byteLength: expected, elementByteSize: dtypeByteSize(dtype) });
    spans.push({ begin, end, key });
  }
  // The tensors must tile the data section: no overlaps, no gaps, nothing after the last one.
  spans.sort((left, right) => left.begin - right.begin || left.end - right.end);
  let covered = 0;
  for (const span of spans) {
    if (span.begin !== covered) {
      const problem = span.begin < covered ? 'overlaps the previous tensor' : `leaves a gap of ${span.begin - covered} bytes before it`;
      throw new CheckpointError(`data_offsets ${problem}`, { file: label, tensor: span.key });
    }
    covered = span.end;
  }
  if (covered !== dataLength) {
    throw new CheckpointError(`the tensors cover ${covered} data bytes but the file holds ${dataLength} after the header`, { file: label });
  }
  return { entries, metadata, dataStart };
}

/** Builds a complete safetensors file header (length prefix + padded JSON) for the given layout. */
export function encodeSafetensorsHeader(
  layout: { key: string; dtype: StoredDType; shape: number[]; begin: number; end: number }[],
  metadata: Record<string, string> | undefined,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  for (const entry of layout) {
    header[entry.key] = { dtype: SAFETENSORS_NAME_OF[entry.dtype], shape: entry.shape, data_offsets: [entry.begin, entry.end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return bytes;
}
