// Tensors whose data is produced on demand, a slab of whole rows at a time, so that a writer can
// put a multi-gigabyte checkpoint on disk while only one slab (or one tensor) is in memory: random
// presets generate each slab from a seeded stream, exports read and convert one source tensor at
// a time. The writers (keras-weights-write, safetensors-write, gguf-write) accept a StreamedTensor
// wherever they accept a StoredTensor.

import { CheckpointError } from './errors.js';
import { checkStoredTensor, dtypeByteSize, elementCount, isStoredDType, storedDataFromBytes, type StoredData, type StoredDType, type StoredTensor } from './stored-tensor.js';

/**
 * A tensor that hands out its row-major data in slabs along the first axis. `produce` calls
 * `write(slab, firstRow, rowCount)` for consecutive slabs of at most `maxSlabRows` rows that cover
 * the tensor exactly once, in order (a scalar or 1-D tensor may come as one slab of its elements;
 * "rows" of a 1-D tensor are its elements). A slab may be a view that is reused after `write`
 * returns, so consumers copy what they keep.
 */
export interface StreamedTensor {
  readonly shape: number[];
  readonly dtype: StoredDType;
  produce(maxSlabRows: number, write: (slab: StoredData, firstRow: number, rowCount: number) => void): void;
}

export type WritableTensor = StoredTensor | StreamedTensor;

export function isStreamedTensor(tensor: WritableTensor): tensor is StreamedTensor {
  return typeof (tensor as StreamedTensor).produce === 'function' && !('data' in tensor);
}

/** Rows along the first axis (1 for a scalar) and elements per row. */
export function rowGeometry(shape: readonly number[]): { rows: number; rowElements: number } {
  if (shape.length === 0) return { rows: 1, rowElements: 1 };
  const rows = shape[0]!;
  return { rows, rowElements: rows === 0 ? 0 : elementCount(shape) / rows };
}

/** Rows per slab so that a slab stays near `slabBytes` (at least one row). */
export function rowsPerSlab(tensor: Pick<StreamedTensor, 'shape' | 'dtype'>, slabBytes: number): number {
  const { rowElements } = rowGeometry(tensor.shape);
  return Math.max(1, Math.floor(slabBytes / Math.max(1, rowElements * dtypeByteSize(tensor.dtype))));
}

/** Checks shape and dtype of a streamed tensor (its data is checked slab by slab when written). */
export function checkStreamedTensor(tensor: StreamedTensor, where: { file?: string; tensor?: string }): void {
  if (!isStoredDType(tensor.dtype)) throw new CheckpointError(`unknown dtype "${String(tensor.dtype)}"`, where);
  if (!Array.isArray(tensor.shape) || tensor.shape.some((dimension) => !Number.isSafeInteger(dimension) || dimension < 0)) {
    throw new CheckpointError(`shape ${JSON.stringify(tensor.shape)} is not a list of non-negative integers`, where);
  }
}

/** Checks either kind of tensor. */
export function checkWritableTensor(tensor: WritableTensor, where: { file?: string; tensor?: string }): void {
  if (isStreamedTensor(tensor)) checkStreamedTensor(tensor, where);
  else checkStoredTensor(tensor, where);
}

/**
 * Runs `tensor.produce` and checks that the slabs arrive in order, with the promised sizes and
 * the right typed array, and cover the tensor exactly: a producer bug becomes an error naming the
 * tensor instead of a silently corrupt file.
 */
export function produceChecked(
  tensor: StreamedTensor,
  maxSlabRows: number,
  where: { file?: string; tensor?: string },
  write: (slab: StoredData, firstRow: number, rowCount: number) => void,
): void {
  const { rows, rowElements } = rowGeometry(tensor.shape);
  let nextRow = 0;
  tensor.produce(maxSlabRows, (slab, firstRow, rowCount) => {
    if (firstRow !== nextRow || rowCount < 1 || rowCount > maxSlabRows || firstRow + rowCount > rows) {
      throw new CheckpointError(`streamed slab of rows [${firstRow}, ${firstRow + rowCount}) is out of order or too large (next row ${nextRow} of ${rows}, at most ${maxSlabRows} rows)`, where);
    }
    checkStoredTensor({ shape: [rowCount * rowElements], dtype: tensor.dtype, data: slab }, where);
    write(slab, firstRow, rowCount);
    nextRow += rowCount;
  });
  if (nextRow !== rows && rowElements > 0) throw new CheckpointError(`streamed tensor produced ${nextRow} of its ${rows} rows`, where);
}

/** The whole tensor in one typed array (for small tensors, or writers that need it at once). */
export function materialize(tensor: WritableTensor, where: { file?: string; tensor?: string } = {}): StoredTensor {
  if (!isStreamedTensor(tensor)) return tensor;
  const total = elementCount(tensor.shape);
  const { rows, rowElements } = rowGeometry(tensor.shape);
  // An empty typed array of the dtype's kind; its constructor allocates the whole tensor below.
  const ArrayType = storedDataFromBytes(tensor.dtype, new Uint8Array(0)).constructor as new (length: number) => StoredData;
  const data = new ArrayType(total);
  produceChecked(tensor, Math.max(1, rows), where, (slab, firstRow) => {
    (data as unknown as { set(source: unknown, offset: number): void }).set(slab, firstRow * rowElements);
  });
  return { shape: [...tensor.shape], dtype: tensor.dtype, data };
}

/** A stored tensor seen as a streamed one: slabs are views into its data. */
export function streamStored(tensor: StoredTensor): StreamedTensor {
  return {
    shape: tensor.shape,
    dtype: tensor.dtype,
    produce(maxSlabRows, write) {
      const { rows, rowElements } = rowGeometry(tensor.shape);
      for (let first = 0; first < rows; first += maxSlabRows) {
        const count = Math.min(maxSlabRows, rows - first);
        write(tensor.data.subarray(first * rowElements, (first + count) * rowElements) as StoredData, first, count);
      }
    },
  };
}

/**
 * A streamed tensor whose data comes from `load()` (called when a writer reaches it, then
 * released): "one tensor in memory at a time" for conversions that need the whole source tensor,
 * such as transposes.
 */
export function streamLoaded(shape: number[], dtype: StoredDType, load: () => StoredData): StreamedTensor {
  return {
    shape,
    dtype,
    produce(maxSlabRows, write) {
      streamStored({ shape: [...shape], dtype, data: load() }).produce(maxSlabRows, write);
    },
  };
}
