// StreamedTensor through the existing writers: the Keras h5 writer (contiguous below the limit,
// chunked slab by slab above it, bf16 still opaque) and the safetensors writer give files that
// read back to exactly the produced values.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { streamedDatasetLimits } from '../../src/io/h5-streamed-dataset.js';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { writeKerasWeights } from '../../src/io/keras-weights-write.js';
import { readSafetensors } from '../../src/io/safetensors-read.js';
import { writeSafetensors, writeSafetensorsSharded } from '../../src/io/safetensors-write.js';
import { materialize, streamStored, type StreamedTensor } from '../../src/io/streamed-tensor.js';
import { openH5Path } from '../../src/io/h5-runtime.js';

const folders: string[] = [];
async function scratch(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'tz-streamed-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

const saved = { ...streamedDatasetLimits };
afterEach(() => Object.assign(streamedDatasetLimits, saved));

/** Rows produced on demand: value (row * 1000 + column) as float32, or its bf16 bits. */
function counting(rows: number, columns: number, dtype: 'float32' | 'bfloat16'): { tensor: StreamedTensor; slabs: number[] } {
  const slabs: number[] = [];
  return {
    slabs,
    tensor: {
      shape: [rows, columns],
      dtype,
      produce(maxSlabRows, write) {
        for (let first = 0; first < rows; first += maxSlabRows) {
          const count = Math.min(maxSlabRows, rows - first);
          slabs.push(count);
          const values = new Float32Array(count * columns);
          for (let row = 0; row < count; row++) for (let column = 0; column < columns; column++) values[row * columns + column] = (first + row) * 1000 + column;
          if (dtype === 'float32') write(values, first, count);
          else write(new Uint16Array(new Uint32Array(values.buffer).map((word) => word >>> 16)), first, count);
        }
      },
    },
  };
}

describe('streamed tensors in the Keras h5 writer', () => {
  it('writes small streamed tensors contiguous and large ones chunked, with identical values', async () => {
    Object.assign(streamedDatasetLimits, { contiguousBytes: 1000, chunkBytes: 256 });
    const folder = await scratch();
    const small = counting(4, 8, 'float32');
    const large = counting(37, 16, 'float32'); // 2368 bytes > 1000: chunked, 4 rows (256 B) a chunk
    const largeBf16 = counting(29, 8, 'bfloat16');
    await writeKerasWeights(folder, [
      { h5Path: 'layers/small/vars/0', tensor: small.tensor },
      { h5Path: 'layers/large/vars/0', tensor: large.tensor },
      { h5Path: 'layers/large_bf16/vars/0', tensor: largeBf16.tensor },
    ]);
    expect(small.slabs).toEqual([4]);
    expect(large.slabs).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 1]);
    const weights = await readKerasWeights(folder);
    try {
      for (const [path, source] of [['layers/small/vars/0', small], ['layers/large/vars/0', large], ['layers/large_bf16/vars/0', largeBf16]] as const) {
        const stored = weights.get(path);
        expect(stored.dtype).toBe(source.tensor.dtype);
        expect(stored.shape).toEqual(source.tensor.shape);
        expect([...stored.data as Float32Array | Uint16Array]).toEqual([...materialize(source.tensor).data as Float32Array | Uint16Array]);
      }
    } finally {
      weights.close();
    }
    // The large dataset is chunked (h5wasm reports chunk dimensions), the small one is not.
    const open = await openH5Path(join(folder, 'model.weights.h5'), 'test');
    try {
      expect((open.file.get('layers/large/vars/0') as { metadata: { chunks: number[] | null } }).metadata.chunks).toEqual([4, 16]);
      expect((open.file.get('layers/small/vars/0') as { metadata: { chunks: number[] | null } }).metadata.chunks).toBeNull();
    } finally {
      open.close();
    }
  });

  it('names the tensor when a producer breaks its promise', async () => {
    const folder = await scratch();
    const broken: StreamedTensor = { shape: [3, 2], dtype: 'float32', produce: (_max, write) => write(new Float32Array(4), 0, 2) };
    await expect(writeKerasWeights(folder, [{ h5Path: 'layers/broken/vars/0', tensor: broken }])).rejects.toThrow(/layers\/broken\/vars\/0.*produced 2 of its 3 rows|produced 2 of its 3 rows.*layers\/broken/);
  });
});

describe('streamed tensors in the safetensors writer', () => {
  it('writes streamed and stored tensors side by side, single and sharded', async () => {
    const folder = await scratch();
    const streamed = counting(50, 3, 'float32');
    const stored = { shape: [2], dtype: 'float32' as const, data: Float32Array.from([1.5, -2]) };
    await writeSafetensors(join(folder, 'one.safetensors'), { a: streamed.tensor, b: stored });
    const read = await readSafetensors(join(folder, 'one.safetensors'));
    expect([...read.get('a').data as Float32Array]).toEqual([...materialize(streamed.tensor).data as Float32Array]);
    expect([...read.get('b').data as Float32Array]).toEqual([1.5, -2]);
    read.close?.();

    const sharded = join(folder, 'sharded');
    const names = await writeSafetensorsSharded(sharded, new Map([['x', streamStored(stored)], ['y', counting(10, 4, 'bfloat16').tensor]]), { maxShardSizeBytes: 40 });
    expect(names).toEqual(['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const back = await readSafetensors(sharded);
    expect([...back.get('x').data as Float32Array]).toEqual([1.5, -2]);
    expect(back.get('y').shape).toEqual([10, 4]);
    back.close?.();
  });
});
