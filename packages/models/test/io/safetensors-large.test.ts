// safetensors tensors of 2 GiB and more (issue 19): gemma2_27b's bfloat16 embedding alone is
// 256000 x 4608 x 2 bytes = 2.36 GB. The files are SPARSE, made at test time: a valid header,
// ftruncate to the full size (the data section reads as zeros and takes no disk), and a few
// marker values written with positioned writes at known elements. Memory stays bounded: only the
// exactly-2-GiB tensor is read whole into a typed array; the 4 GiB one is streamed in 64 MiB
// slabs and the 8 GiB one is read in slices (it cannot be one typed array in Node 20: 2^33 uint8
// elements are past V8's 2^32-element limit, so `get` refuses it with a message saying what to do).
//
// Before the piecewise reads: 2 GiB failed with `The value of "length" is out of range` (readSync
// takes at most 2^31 - 1 bytes), 4 GiB claimed the file was truncated, 8 GiB gave `Invalid typed
// array length`.

import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { CheckpointError } from '../../src/io/errors.js';
import { encodeSafetensorsHeader } from '../../src/io/safetensors-format.js';
import { readSafetensors, type SafetensorsWeights } from '../../src/io/safetensors-read.js';
import { READ_PIECE_BYTES } from '../../src/io/safetensors-source.js';
import { dtypeByteSize, elementCount, type StoredDType } from '../../src/io/stored-tensor.js';
import { scratchDir } from './helpers.js';

const GiB = 2 ** 30;

interface SparseTensor {
  key: string;
  dtype: StoredDType;
  shape: number[];
  /** Element index → value, written with positioned writes (every other element reads 0). */
  markers: Map<number, number>;
}

/** Raw little-endian bytes of one value of `dtype` (float32, bfloat16 bits, uint8). */
function valueBytes(dtype: StoredDType, value: number): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(new Float32Array([value]).buffer);
  if (dtype === 'bfloat16') return new Uint8Array(new Uint16Array([value]).buffer);
  if (dtype === 'uint8') return new Uint8Array([value]);
  throw new Error(`no marker encoding for ${dtype}`);
}

/** Writes a sparse safetensors file holding `tensors` in order; returns the file's size. */
function writeSparseSafetensors(path: string, tensors: SparseTensor[]): number {
  let offset = 0;
  const layout = tensors.map((tensor) => {
    const begin = offset;
    offset += elementCount(tensor.shape) * dtypeByteSize(tensor.dtype);
    return { key: tensor.key, dtype: tensor.dtype, shape: tensor.shape, begin, end: offset };
  });
  const header = encodeSafetensorsHeader(layout, { format: 'pt' });
  const descriptor = openSync(path, 'w');
  try {
    writeSync(descriptor, header, 0, header.byteLength, 0);
    ftruncateSync(descriptor, header.byteLength + offset);
    tensors.forEach((tensor, index) => {
      for (const [element, value] of tensor.markers) {
        const bytes = valueBytes(tensor.dtype, value);
        writeSync(descriptor, bytes, 0, bytes.byteLength, header.byteLength + layout[index]!.begin + element * bytes.byteLength);
      }
    });
  } finally {
    closeSync(descriptor);
  }
  return header.byteLength + offset;
}

let scratch: Awaited<ReturnType<typeof scratchDir>>;
const opened: SafetensorsWeights[] = [];
beforeAll(async () => {
  scratch = await scratchDir();
});
afterAll(async () => {
  opened.forEach((weights) => weights.close());
  await scratch?.cleanup();
});

async function open(path: string): Promise<SafetensorsWeights> {
  const weights = await readSafetensors(path);
  opened.push(weights);
  return weights;
}

describe('exactly 2 GiB (float32 [2^29])', () => {
  const elements = 2 ** 29;
  const markers = new Map([
    [0, 1.5],
    [2 ** 28 - 1, -2.25],
    [2 ** 28, 3.125],
    [READ_PIECE_BYTES / 4, 7],
    [elements - 1, -9.5],
  ]);

  test('get reads it whole into one Float32Array, the marked values where they were written', async () => {
    const path = join(scratch.path, 'two-gib.safetensors');
    writeSparseSafetensors(path, [{ key: 'embedding', dtype: 'float32', shape: [elements], markers }]);
    const weights = await open(path);
    const tensor = weights.get('embedding', { shape: [elements] });
    expect(tensor.dtype).toBe('float32');
    expect(tensor.data).toBeInstanceOf(Float32Array);
    expect(tensor.data.length).toBe(elements);
    expect(tensor.data.byteLength).toBe(2 * GiB);
    for (const [element, value] of markers) expect(tensor.data[element], `element ${element}`).toBe(value);
    // Elements beside the markers (and either side of each 64 MiB read piece) are the zeros.
    for (const element of [1, 2 ** 28 - 2, 2 ** 28 + 1, READ_PIECE_BYTES / 4 - 1, elements - 2]) expect(tensor.data[element]).toBe(0);
    weights.close();
  });
});

describe('4 GiB (bfloat16 [65536, 32768])', () => {
  const shape = [65536, 32768];
  const rowElements = shape[1]!;
  const markers = new Map([
    [0, 0x3f80],
    [2 ** 30 - 1, 0x4000],
    [2 ** 30, 0xc040],
    [2 ** 31 - rowElements, 0x4080],
    [2 ** 31 - 1, 0xbf80],
  ]);
  let path: string;
  let fileBytes: number;
  beforeAll(() => {
    path = join(scratch.path, 'four-gib.safetensors');
    fileBytes = writeSparseSafetensors(path, [
      { key: 'model.embed_tokens.weight', dtype: 'bfloat16', shape, markers },
      { key: 'model.norm.weight', dtype: 'bfloat16', shape: [4], markers: new Map([[3, 0x3f80]]) },
    ]);
  });

  test('streams in slabs of rows with one slab in memory; the markers come back, nothing else is set', async () => {
    const weights = await open(path);
    expect(weights.info('model.embed_tokens.weight')).toMatchObject({ shape, dtype: 'bfloat16' });
    const streamed = weights.stream('model.embed_tokens.weight');
    expect(streamed.shape).toEqual(shape);
    const found = new Map<number, number>();
    let rows = 0;
    let slabs = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    let peakArrayBuffers = 0;
    const slabRows = 1024; // 64 MiB of bfloat16 rows
    streamed.produce(slabRows, (slab, firstRow, rowCount) => {
      expect(firstRow).toBe(rows);
      expect(slab.length).toBe(rowCount * rowElements);
      // Markers are sparse: look for nonzero 32-bit words, then at their two elements.
      const words = new Uint32Array(slab.buffer, slab.byteOffset, slab.byteLength / 4);
      for (let word = 0; word < words.length; word++) {
        if (words[word] === 0) continue;
        for (let element = word * 2; element < word * 2 + 2; element++) {
          if (slab[element] !== 0) found.set(firstRow * rowElements + element, Number(slab[element]));
        }
      }
      rows += rowCount;
      slabs++;
      peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
    });
    expect(rows).toBe(shape[0]);
    expect(slabs).toBe(shape[0]! / slabRows);
    expect(found).toEqual(markers);
    // One reused 64 MiB slab, not the 4 GiB tensor (a generous bound for the rest of the process).
    expect(peakArrayBuffers - baseline).toBeLessThan(256 * 2 ** 20);
  });

  test('readElements and readInto read slices at any element, across the 2 and 4 GiB byte offsets', async () => {
    const weights = await open(path);
    const key = 'model.embed_tokens.weight';
    expect([...weights.readElements(key, 2 ** 30 - 2, 4)]).toEqual([0, 0x4000, 0xc040, 0]);
    expect([...weights.readElements(key, 2 ** 31 - 2, 2)]).toEqual([0, 0xbf80]);
    const row = new Uint16Array(rowElements);
    weights.readInto(key, row, 2 ** 31 - rowElements);
    expect(row[0]).toBe(0x4080);
    expect(row[rowElements - 1]).toBe(0xbf80);
    // The small tensor after the 4 GiB one sits past byte 2^32 of the file.
    expect([...(weights.get('model.norm.weight').data as Uint16Array)]).toEqual([0, 0, 0, 0x3f80]);
    expect(() => weights.readElements(key, 2 ** 31 - 1, 2)).toThrow(/outside the tensor's 2147483648 elements/);
    expect(() => weights.readInto(key, new Float32Array(2))).toThrow(/2-byte elements/);
  });

  test('a file truncated after it was opened is reported as such, with the byte it ended at', async () => {
    const weights = await open(path);
    const descriptor = openSync(path, 'r+');
    try {
      ftruncateSync(descriptor, 3 * GiB);
      const error = (() => {
        try {
          weights.readElements('model.embed_tokens.weight', 2 ** 31 - 4, 4);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).file).toBe(path);
      expect((error as CheckpointError).tensor).toBe('model.embed_tokens.weight');
      expect((error as Error).message).toMatch(/file ends at byte 3221225472, before bytes \d+\.\.\d+ could be read \(it had \d+ bytes when opened: truncated since\?\)/);
    } finally {
      ftruncateSync(descriptor, fileBytes);
      closeSync(descriptor);
    }
  });

  test('a file shorter than its header says is refused at open as truncated (and a complete one is not)', async () => {
    const shortPath = join(scratch.path, 'four-gib-short.safetensors');
    const size = writeSparseSafetensors(shortPath, [{ key: 'weight', dtype: 'bfloat16', shape, markers: new Map() }]);
    await expect(open(shortPath)).resolves.toBeDefined();
    const descriptor = openSync(shortPath, 'r+');
    ftruncateSync(descriptor, size - 1);
    closeSync(descriptor);
    await expect(readSafetensors(shortPath)).rejects.toThrow(/data ends at byte 4294967\d+ but the file has only 4294967\d+ bytes \(truncated file\?\)/);
  });
});

describe('8 GiB (uint8 [2^33]) followed by a small tensor', () => {
  const elements = 2 ** 33;
  const markers = new Map([
    [0, 11],
    [2 ** 31 - 1, 22],
    [2 ** 32 - 1, 33],
    [2 ** 32, 44],
    [elements - 1, 55],
  ]);
  let path: string;
  beforeAll(() => {
    path = join(scratch.path, 'eight-gib.safetensors');
    writeSparseSafetensors(path, [
      { key: 'huge', dtype: 'uint8', shape: [elements], markers },
      { key: 'after', dtype: 'float32', shape: [2], markers: new Map([[1, 0.5]]) },
    ]);
  });

  test('slices read anywhere, including across the 4 GiB element boundary and at the last byte', async () => {
    const weights = await open(path);
    expect([...weights.readElements('huge', 0, 2)]).toEqual([11, 0]);
    expect([...weights.readElements('huge', 2 ** 31 - 2, 3)]).toEqual([0, 22, 0]);
    expect([...weights.readElements('huge', 2 ** 32 - 2, 4)]).toEqual([0, 33, 44, 0]);
    expect([...weights.readElements('huge', elements - 2, 2)]).toEqual([0, 55]);
    expect([...(weights.get('after').data as Float32Array)]).toEqual([0, 0.5]);
  });

  test('get refuses it with a CheckpointError that names it and says how to read it, not a RangeError', async () => {
    const weights = await open(path);
    expect(() => weights.get('huge')).toThrow(CheckpointError);
    expect(() => weights.get('huge')).toThrow(/tensor "huge": cannot hold 8589934592 uint8 elements .*readElements.*stream/);
  });
});
