// Positioned, piecewise reads of safetensors data straight into the destination typed array.
//
// Why pieces: Node's fs.readSync takes at most 2^31 - 1 bytes per call (a 2 GiB tensor in one
// call was "The value of "length" is out of range"), a typed array holds at most 2^32 elements
// in Node 20 (8 GiB of uint8 was "Invalid typed array length"), and one Buffer of the whole
// tensor beside its typed array would hold the weights twice. So every read goes into the
// caller's typed array (or one reused slab) through views of at most READ_PIECE_BYTES, and a
// view is never made over more than one piece, so tensors above 4 GiB work as well.

import { CheckpointError, describeError, type CheckpointErrorLocation } from './errors.js';
import { nonFileKind } from './files.js';
import { dtypeByteSize, storedDataFromBytes, type StoredData, type StoredDType } from './stored-tensor.js';

/** Bytes per positioned read: far below readSync's 2^31 - 1 limit, large enough to be fast. */
export const READ_PIECE_BYTES = 64 * 1024 * 1024;

/** Random access to one file's bytes: a file descriptor on disk, or a byte array. */
export interface ByteSource {
  label: string;
  /** The size when the file was opened; a file that shrinks later is detected by the reads. */
  size: number;
  /**
   * Fills `byteLength` bytes of `buffer` from `byteOffset` with the file's bytes from `position`.
   * A file that ends early is a CheckpointError at `where` giving the byte it ended at.
   */
  readInto(position: number, buffer: ArrayBufferLike, byteOffset: number, byteLength: number, where: CheckpointErrorLocation): void;
  close(): void;
}

/** A fresh byte array holding `length` bytes from `position` (for headers: small reads). */
export function readBytes(source: ByteSource, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  source.readInto(position, bytes.buffer, 0, length, { file: source.label });
  return bytes;
}

type NodeFs = typeof import('node:fs');

/** A file on disk, read with positioned reads of at most READ_PIECE_BYTES. */
export function diskSource(fs: NodeFs, path: string, what: string): ByteSource {
  const { closeSync, constants, fstatSync, openSync, readSync } = fs;
  let descriptor: number;
  try {
    // Non-blocking, so a FIFO in place of the file is found by fstat below instead of blocking
    // this open until a writer comes (regular files ignore the flag).
    descriptor = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(`${what} not found`, { file: path }, { cause: error });
    throw new CheckpointError(`cannot open ${what}: ${describeError(error)}`, { file: path }, { cause: error });
  }
  let size: number;
  try {
    const info = fstatSync(descriptor);
    // A directory opens fine on Linux and fails only at the first read (EISDIR); a FIFO would
    // block reads. Both are refused here, naming what was found instead of a file.
    if (!info.isFile()) throw new CheckpointError(`${what} is ${nonFileKind(info)}, not a file`, { file: path });
    size = info.size;
  } catch (error) {
    closeSync(descriptor);
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`cannot read ${what}: ${describeError(error)}`, { file: path }, { cause: error });
  }
  return {
    label: path,
    size,
    readInto(position, buffer, byteOffset, byteLength, where) {
      let done = 0;
      while (done < byteLength) {
        const piece = new Uint8Array(buffer, byteOffset + done, Math.min(READ_PIECE_BYTES, byteLength - done));
        let count: number;
        try {
          count = readSync(descriptor, piece, 0, piece.byteLength, position + done);
        } catch (error) {
          throw new CheckpointError(`cannot read bytes ${position + done}..${position + byteLength}: ${describeError(error)}`, where, { cause: error });
        }
        if (count === 0) {
          const now = fstatSync(descriptor).size;
          throw new CheckpointError(
            `file ends at byte ${now}, before bytes ${position}..${position + byteLength} could be read (it had ${size} bytes when opened: truncated since?)`,
            where,
          );
        }
        done += count;
      }
    },
    close: () => closeSync(descriptor),
  };
}

/** Bytes already in memory (a browser's fetched files); reads copy, so tensors never alias them. */
export function memorySource(label: string, bytes: Uint8Array): ByteSource {
  return {
    label,
    size: bytes.byteLength,
    readInto(position, buffer, byteOffset, byteLength, where) {
      if (position + byteLength > bytes.byteLength) {
        throw new CheckpointError(`data ends at byte ${position + byteLength} but the file has only ${bytes.byteLength} bytes`, where);
      }
      new Uint8Array(buffer, byteOffset, byteLength).set(bytes.subarray(position, position + byteLength));
    },
    close: () => undefined,
  };
}

/**
 * A zeroed typed array of `length` elements of `dtype`; one that this JavaScript engine cannot
 * allocate (Node 20: more than 2^32 elements, or no memory) is a CheckpointError that says how
 * to read the tensor instead, not a bare RangeError.
 */
export function allocateStoredData(dtype: StoredDType, length: number, where: CheckpointErrorLocation): StoredData {
  // An empty array of the dtype's kind gives its constructor (the dtype table is private).
  const ArrayType = storedDataFromBytes(dtype, new Uint8Array(0)).constructor as new (length: number) => StoredData;
  try {
    return new ArrayType(length);
  } catch (error) {
    throw new CheckpointError(
      `cannot hold ${length} ${dtype} elements (${length * dtypeByteSize(dtype)} bytes) in one typed array here: ${describeError(error)}; read it in slices (readElements) or stream it (stream)`,
      where,
      { cause: error },
    );
  }
}
