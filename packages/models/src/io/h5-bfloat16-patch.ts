// Writing bfloat16 datasets the way h5py and Keras do (spec §4.3): HDF5 *opaque* data of size 2,
// no tag, holding the raw bf16 bits. h5wasm can read opaque data but cannot create it (its
// writer knows integer, float, string, reference and compound types only), so bf16 datasets are
// written as unsigned 16-bit integers holding the same bytes, and afterwards their datatype
// message is rewritten in place from "16-bit unsigned integer" to "2-byte opaque".
//
// This is safe because of how the files are written (h5-runtime / keras-weights-write):
// - libver ("earliest", "v108") makes HDF5 use version-1 object headers, whose messages carry no
//   checksum, so changing a message body needs no other change;
// - the datatype message of a 16-bit integer (version 1) is 12 bytes padded to 16; an opaque
//   datatype with an empty tag needs 8, so it fits in the same slot, and HDF5 ignores the unused
//   padding of a message;
// - the raw data bytes are identical for both types (uint16 little-endian = bf16 bits).
// The message is found by its exact 24 bytes (header + body). The number of matches must equal
// the number of bf16 datasets written; anything else (for example the same bytes occurring inside
// tensor data) aborts the write rather than risk patching data. The file is then reopened and
// every bf16 dataset checked to read back as 2-byte opaque (see keras-weights-write).

import { CheckpointError } from './errors.js';

/** h5wasm's dtype string for the placeholder type (little-endian unsigned 16-bit integer). */
export const BFLOAT16_PLACEHOLDER_DTYPE = '<H';

// Version-1 object header message: type 0x0003 (datatype), body size 16, flags 0x01 (constant),
// 3 reserved bytes; then the body: class 0 (integer) version 1, class bits 0 (little-endian,
// unsigned), size 2, bit offset 0, precision 16, and 4 bytes of padding.
const PLACEHOLDER_MESSAGE = Uint8Array.from([
  0x03, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
  0x00, 0x00, 0x00,
]);

/** Where the body starts inside the matched bytes (after the 8-byte message header). */
const BODY_OFFSET = 8;

// Class 5 (opaque) version 1, class bits 0 (tag length 0), size 2; then zero padding. This is
// byte for byte the body h5py writes for a numpy void/ml_dtypes bfloat16 array.
const OPAQUE_BODY = Uint8Array.from([0x15, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);

function matchesAt(bytes: Uint8Array, position: number): boolean {
  for (let index = 0; index < PLACEHOLDER_MESSAGE.length; index++) {
    if (bytes[position + index] !== PLACEHOLDER_MESSAGE[index]) return false;
  }
  return true;
}

/** Offsets (relative to `bytes`) of every placeholder datatype message. */
function findPlaceholders(bytes: Uint8Array): number[] {
  const found: number[] = [];
  const first = PLACEHOLDER_MESSAGE[0]!;
  for (let position = bytes.indexOf(first); position !== -1 && position + PLACEHOLDER_MESSAGE.length <= bytes.length; position = bytes.indexOf(first, position + 1)) {
    if (matchesAt(bytes, position)) found.push(position);
  }
  return found;
}

function checkCount(found: number, expected: number, label: string): void {
  if (found !== expected) {
    throw new CheckpointError(
      `cannot mark bfloat16 datasets as opaque: expected ${expected} placeholder datatype messages, found ${found} ` +
        '(a uint16 tensor, or the same bytes inside tensor data, would cause this); nothing was written',
      { file: label },
    );
  }
}

/** Patches a file held in memory (in place) and returns it. */
export function patchBfloat16InBytes(bytes: Uint8Array, expected: number, label: string): Uint8Array {
  if (expected === 0) return bytes;
  const positions = findPlaceholders(bytes);
  checkCount(positions.length, expected, label);
  for (const position of positions) bytes.set(OPAQUE_BODY, position + BODY_OFFSET);
  return bytes;
}

/** Patches a file on disk in place, reading it in chunks so files of any size work. */
export async function patchBfloat16InFile(path: string, expected: number, label: string = path): Promise<void> {
  if (expected === 0) return;
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'r+');
  try {
    const chunkSize = 16 * 1024 * 1024;
    const overlap = PLACEHOLDER_MESSAGE.length - 1;
    const buffer = new Uint8Array(chunkSize + overlap);
    const positions: number[] = [];
    const size = (await handle.stat()).size;
    for (let start = 0; start < size; start += chunkSize) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(chunkSize + overlap, size - start), start);
      // A match must start inside this chunk; one starting in the overlap is found next round.
      for (const offset of findPlaceholders(buffer.subarray(0, bytesRead))) {
        if (offset < chunkSize) positions.push(start + offset);
      }
    }
    checkCount(positions.length, expected, label);
    for (const position of positions) await handle.write(OPAQUE_BODY, 0, OPAQUE_BODY.length, position + BODY_OFFSET);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
