// Property tests (fast-check, issue 19) of the checkpoint readers: what is written reads back
// exactly, through every access path (whole, slices, streamed slabs, into a caller's array, from
// bytes and from disk), for tensors fast-check draws (every dtype, rank 0-3, size-0 dimensions,
// unicode keys); any damage to a valid file ends in a CheckpointError or in tensors consistent
// with their header; index and shard-name parsers accept or refuse any JSON value with one
// CheckpointError; the tokenizer round-trips any text. Seeded: failures replay and shrink.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';

import { CheckpointError } from '../../src/io/errors.js';
import { checkShardName } from '../../src/io/files.js';
import { parseKerasShardedIndex, readKerasWeightsFromBytes } from '../../src/io/keras-weights-read.js';
import { writeKerasWeightsToBytes } from '../../src/io/keras-weights-write.js';
import { readSafetensors, readSafetensorsFromBytes } from '../../src/io/safetensors-read.js';
import { writeSafetensors, writeSafetensorsToBytes } from '../../src/io/safetensors-write.js';
import { checkStoredTensor, dtypeByteSize, elementCount, storedDataBytes, storedDataFromBytes, type StoredDType, type StoredTensor } from '../../src/io/stored-tensor.js';
import { GemmaTokenizer } from '../../src/tokenizer/gemma-tokenizer.js';
import { fixture } from '../io/helpers.js';

const runs = (numRuns: number) => ({ seed: 19, numRuns });

const ALL_DTYPES: StoredDType[] = ['float64', 'float32', 'bfloat16', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8', 'bool'];

/** A tensor of `dtypes`, rank 0-3 with dimensions 0-5, its bytes drawn (bool as 0/1). */
const storedTensor = (dtypes: StoredDType[]) =>
  fc
    .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }) })
    .chain(({ dtype, shape }) => {
      const byteLength = elementCount(shape) * dtypeByteSize(dtype);
      return fc.uint8Array({ minLength: byteLength, maxLength: byteLength }).map((bytes): StoredTensor => {
        if (dtype === 'bool') bytes = bytes.map((byte) => byte & 1);
        return { shape, dtype, data: storedDataFromBytes(dtype, bytes) };
      });
    });

const tensorSet = (dtypes: StoredDType[], maxLength: number) =>
  fc.uniqueArray(fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((key) => key !== '__metadata__'), storedTensor(dtypes)), {
    minLength: 1,
    maxLength,
    selector: ([key]) => key,
  });

const bytesOf = (tensor: StoredTensor) => [...storedDataBytes(tensor)];

const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-properties-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('safetensors: any tensors read back exactly whole, by slices, streamed and into an array, from bytes', async () => {
  await fc.assert(
    fc.asyncProperty(tensorSet(ALL_DTYPES, 5), fc.integer({ min: 1, max: 4 }), async (entries, slabRows) => {
      const weights = await readSafetensorsFromBytes(new Map([['model.safetensors', writeSafetensorsToBytes(new Map(entries), { format: 'pt' })]]));
      try {
        expect(weights.keys().sort()).toEqual(entries.map(([key]) => key).sort());
        for (const [key, tensor] of entries) {
          const read = weights.get(key);
          expect(read.shape).toEqual(tensor.shape);
          expect(read.dtype).toBe(tensor.dtype);
          expect(bytesOf(read)).toEqual(bytesOf(tensor));
          const total = elementCount(tensor.shape);
          const first = Math.floor(total / 3);
          const slice = weights.readElements(key, first, total - first);
          expect([...new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength)]).toEqual(bytesOf(tensor).slice(first * dtypeByteSize(tensor.dtype)));
          const into = storedDataFromBytes(tensor.dtype, new Uint8Array(total * dtypeByteSize(tensor.dtype)));
          weights.readInto(key, into);
          expect([...new Uint8Array(into.buffer, into.byteOffset, into.byteLength)]).toEqual(bytesOf(tensor));
          const streamed: number[] = [];
          weights.stream(key).produce(slabRows, (slab) => streamed.push(...new Uint8Array(slab.buffer, slab.byteOffset, slab.byteLength)));
          expect(streamed).toEqual(bytesOf(tensor));
        }
      } finally {
        weights.close();
      }
    }),
    runs(60),
  );
});

test('safetensors: the same from disk', async () => {
  let file = 0;
  await fc.assert(
    fc.asyncProperty(tensorSet(ALL_DTYPES, 4), async (entries) => {
      const path = join(scratch, `case-${file++}.safetensors`);
      await writeSafetensors(path, new Map(entries));
      const weights = await readSafetensors(path);
      try {
        for (const [key, tensor] of entries) expect(bytesOf(weights.get(key))).toEqual(bytesOf(tensor));
      } finally {
        weights.close();
      }
    }),
    runs(15),
  );
});

test('safetensors: any damage to a valid file is one CheckpointError, or tensors consistent with the header', async () => {
  const edits = fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 });
  await fc.assert(
    fc.asyncProperty(tensorSet(['float32', 'bfloat16', 'int8', 'int64'], 3), edits, fc.option(fc.nat(), { nil: undefined }), async (entries, changes, cut) => {
      let bytes = writeSafetensorsToBytes(new Map(entries));
      for (const { at, value } of changes) bytes[at % bytes.length] = value;
      if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      let weights;
      try {
        weights = await readSafetensorsFromBytes(new Map([['model.safetensors', bytes]]));
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointError);
        expect((error as CheckpointError).message).toContain('model.safetensors');
        return;
      }
      try {
        for (const key of weights.keys()) {
          const info = weights.info(key);
          const tensor = weights.get(key);
          checkStoredTensor(tensor, { tensor: key });
          expect(tensor.shape).toEqual(info.shape);
        }
      } finally {
        weights.close();
      }
    }),
    runs(150),
  );
});

test('Keras h5: any float32/int32/int8/bfloat16/float64 tensors read back exactly', async () => {
  const keras = tensorSet(['float32', 'int32', 'int8', 'bfloat16', 'float64'], 4).map((entries) =>
    entries.map(([, tensor], index) => ({ h5Path: `layers/layer_${index}/vars/0`, tensor })),
  );
  await fc.assert(
    fc.asyncProperty(keras, async (entries) => {
      const weights = await readKerasWeightsFromBytes(await writeKerasWeightsToBytes(entries));
      try {
        for (const { h5Path, tensor } of entries) {
          const read = weights.get(h5Path);
          expect(read.shape, h5Path).toEqual(tensor.shape);
          expect(read.dtype, h5Path).toBe(tensor.dtype);
          expect(bytesOf(read), h5Path).toEqual(bytesOf(tensor));
        }
      } finally {
        weights.close();
      }
    }),
    runs(25),
  );
});

test('index parsing and shard names: any JSON value is accepted or refused with one CheckpointError', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        const groups = parseKerasShardedIndex(value, 'model.weights.json');
        for (const names of groups.values()) for (const name of names) expect(checkShardName(name, { file: 'x' })).toBe(name);
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointError);
        expect((error as Error).message).toContain('model.weights.json');
      }
    }),
    runs(300),
  );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.jsonValue()), (name) => {
      try {
        const accepted = checkShardName(name, { file: 'index.json' });
        expect(accepted).toBe(name);
        expect(accepted).not.toMatch(/[/\\]|\.\.|^$|[\u0000-\u001f]/);
      } catch (error) {
        expect(error).toBeInstanceOf(CheckpointError);
      }
    }),
    runs(300),
  );
});

test('tokenizer: any text tokenizes to ids in range and detokenizes back to itself', async () => {
  const tokenizer = await GemmaTokenizer.fromFile(fixture('gemma_like_vocab.spm'));
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
      const ids = tokenizer.tokenize(text);
      for (const id of ids) expect(id >= 0 && id < tokenizer.vocabularySize()).toBe(true);
      expect(tokenizer.detokenize(ids)).toBe(text);
    }),
    runs(300),
  );
});
