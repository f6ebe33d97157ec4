// Writing one HDF5 dataset from a StreamedTensor (streamed-tensor.ts) with h5wasm.
//
// h5wasm's `create_dataset` copies the whole array into its WebAssembly heap, which grows to
// 2 GiB at most, and a Gemma embedding table reaches 4.7 GB (27B, float32). So:
// - up to streamedDatasetLimits.contiguousBytes the tensor is gathered and written in one piece, contiguous and
//   uncompressed: exactly the dataset h5py (and so Keras) writes;
// - above it the dataset is created *chunked* (HDF5's other uncompressed layout: chunks of whole
//   rows, about streamedDatasetLimits.chunkBytes each) with zero rows, extended to its full shape, and filled slab by
//   slab with `write_slice`, one chunk per slab. h5py, Keras and this package read both layouts
//   alike; only the dataset's storage layout message differs from a Keras-written file.
// Memory: one slab in JavaScript plus one in the WebAssembly heap.

import { CheckpointError } from './errors.js';
import { summariseHdf5Error, type H5Dataset, type H5Group } from './h5-runtime.js';
import { storedByteLength, storedDataFromBytes, type StoredData } from './stored-tensor.js';
import { checkStreamedTensor, materialize, produceChecked, rowGeometry, rowsPerSlab, type StreamedTensor } from './streamed-tensor.js';

/**
 * `contiguousBytes`: streamed tensors up to this size are written contiguous, like h5py.
 * `chunkBytes`: target size of one chunk (and one slab) of a chunked dataset. Mutable so that
 * tests can exercise the chunked path on small tensors.
 */
export const streamedDatasetLimits = { contiguousBytes: 256 * 1024 * 1024, chunkBytes: 64 * 1024 * 1024 };

export function checkStreamedDataset(tensor: StreamedTensor, where: { file?: string; tensor?: string }): void {
  checkStreamedTensor(tensor, where);
  if (storedByteLength(tensor) > streamedDatasetLimits.contiguousBytes && tensor.shape.length === 0) {
    throw new CheckpointError('a scalar cannot be streamed', where);
  }
}

/**
 * Creates dataset `name` in `group` and fills it from `tensor`; `h5Dtype` is the h5wasm dtype
 * string. Returns the dataset (for attributes).
 */
export function writeStreamedDataset(group: H5Group, name: string, tensor: StreamedTensor, h5Dtype: string, where: { file?: string; tensor?: string }): H5Dataset {
  if (storedByteLength(tensor) <= streamedDatasetLimits.contiguousBytes) {
    const whole = materialize(tensor, where);
    return group.create_dataset({ name, data: whole.data, shape: whole.shape, dtype: h5Dtype }) as H5Dataset;
  }
  const { rows } = rowGeometry(tensor.shape);
  const rest = tensor.shape.slice(1);
  const chunkRows = Math.min(rows, rowsPerSlab(tensor, streamedDatasetLimits.chunkBytes));
  const empty = storedDataFromBytes(tensor.dtype, new Uint8Array(0));
  let dataset: H5Dataset;
  try {
    dataset = group.create_dataset({ name, data: empty as StoredData, shape: [0, ...rest], maxshape: [rows, ...rest], chunks: [chunkRows, ...rest], dtype: h5Dtype }) as H5Dataset;
    dataset.resize([rows, ...rest]);
  } catch (error) {
    throw new CheckpointError(`cannot create the chunked dataset: ${summariseHdf5Error(error)}`, where, { cause: error });
  }
  produceChecked(tensor, chunkRows, where, (slab, firstRow, rowCount) => {
    try {
      dataset.write_slice([[firstRow, firstRow + rowCount]], slab as never);
    } catch (error) {
      throw new CheckpointError(`cannot write rows [${firstRow}, ${firstRow + rowCount}): ${summariseHdf5Error(error)}`, where, { cause: error });
    }
  });
  return dataset;
}
