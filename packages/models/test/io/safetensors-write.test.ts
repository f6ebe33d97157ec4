// Writing safetensors: re-writing the transformers fixtures reproduces their files byte for byte,
// round trips are bit-exact, and every kind of damaged or hostile input is a clear error naming
// the file (and the tensor where there is one).

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { readSafetensors, readSafetensorsFromBytes } from '../../src/io/safetensors-read.js';
import { writeSafetensors, writeSafetensorsSharded, writeSafetensorsToBytes } from '../../src/io/safetensors-write.js';
import type { StoredTensor } from '../../src/io/stored-tensor.js';
import { fixture, sameTensor, scratchDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});
async function scratch(): Promise<string> {
  const dir = await scratchDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

describe.each(['hf_gemma_native/model.safetensors', 'hf_gemma2_native/model.safetensors', 'hf_gemma_native_bf16_sharded/model-00001-of-00002.safetensors', 'hf_gemma_native_bf16_sharded/model-00002-of-00002.safetensors'])(
  '%s',
  (file) => {
    test('re-writing it gives the same bytes transformers wrote, and reads back bit for bit', async () => {
      const original = await readSafetensors(fixture(file));
      const tensors = new Map(original.keys().map((key) => [key, original.get(key)]));
      const path = join(await scratch(), 'model.safetensors');
      await writeSafetensors(path, tensors, { ...original.metadata });
      expect(Buffer.compare(await readFile(path), await readFile(fixture(file)))).toBe(0);
      expect(Buffer.compare(Buffer.from(writeSafetensorsToBytes(tensors, { ...original.metadata })), await readFile(fixture(file)))).toBe(0);
      const copy = await readSafetensors(path);
      for (const [key, tensor] of tensors) expect(sameTensor(copy.get(key), tensor), key).toBe(true);
      original.close();
      copy.close();
    });
  },
);

test('sharded writing reproduces the transformers bf16 sharded checkpoint byte for byte', async () => {
  const folder = fixture('hf_gemma_native_bf16_sharded');
  const original = await readSafetensors(folder);
  const tensors = new Map(original.keys().map((key) => [key, original.get(key)]));
  original.close();
  const out = await scratch();
  // transformers saved it with a limit below the embedding's 131,072 bytes, so the embedding got
  // a shard of its own and everything else (32,064 bytes) the second.
  const written = await writeSafetensorsSharded(out, tensors, { maxShardSizeBytes: 100_000, metadata: { format: 'pt' } });
  const files = ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  expect(written).toEqual(files);
  for (const file of files) expect(Buffer.compare(await readFile(join(out, file)), await readFile(join(folder, file))), file).toBe(0);
  // Saving again below the limit leaves a single model.safetensors and removes the shards.
  expect(await writeSafetensorsSharded(out, tensors, { maxShardSizeBytes: 10 * 1024 ** 3, metadata: { format: 'pt' } })).toEqual(['model.safetensors']);
  expect(await readdir(out)).toEqual(['model.safetensors']);
  const single = await readSafetensors(out);
  for (const [key, tensor] of tensors) expect(sameTensor(single.get(key), tensor), key).toBe(true);
  single.close();
});

test('every dtype round trips, including scalars and empty tensors', async () => {
  const tensors: Record<string, StoredTensor> = {
    f64: { shape: [2], dtype: 'float64', data: Float64Array.of(Math.PI, -0) },
    f16: { shape: [2], dtype: 'float16', data: Uint16Array.of(0x3c00, 0xfc00) },
    i64: { shape: [], dtype: 'int64', data: BigInt64Array.of(-(2n ** 62n)) },
    u8: { shape: [3], dtype: 'uint8', data: Uint8Array.of(0, 128, 255) },
    flags: { shape: [2], dtype: 'bool', data: Uint8Array.of(1, 0) },
    empty: { shape: [0, 4], dtype: 'float32', data: new Float32Array(0) },
  };
  const bytes = writeSafetensorsToBytes(tensors);
  const weights = await readSafetensorsFromBytes(new Map([['model.safetensors', bytes]]));
  for (const [key, tensor] of Object.entries(tensors)) expect(sameTensor(weights.get(key), tensor), key).toBe(true);
  expect(weights.metadata).toEqual({});
});

describe('bad input is a clear error', () => {
  async function fixtureBytes(): Promise<Uint8Array> {
    return new Uint8Array(await readFile(fixture('hf_gemma_native', 'model.safetensors')));
  }
  async function place(bytes: Uint8Array, name = 'model.safetensors'): Promise<string> {
    const dir = await scratch();
    await writeFile(join(dir, name), bytes);
    return dir;
  }
  function withHeader(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
    const json = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + json.length + data.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    bytes.set(data, 8 + json.length);
    return bytes;
  }

  test('a truncated file: data cut short', async () => {
    const bytes = await fixtureBytes();
    const dir = await place(bytes.subarray(0, bytes.length - 100));
    await expect(readSafetensors(dir)).rejects.toThrow(/model\.safetensors, tensor "model\.norm\.weight": data ends at byte 336528 but the file has only 336428 bytes \(truncated file\?\)/);
  });
  test('a truncated file: header cut short, and shorter than 8 bytes', async () => {
    const bytes = await fixtureBytes();
    await expect(readSafetensors(await place(bytes.subarray(0, 1000)))).rejects.toThrow(/model\.safetensors: safetensors file is truncated: header claims 2056 bytes but the file has 1000/);
    await expect(readSafetensors(await place(bytes.subarray(0, 5)))).rejects.toThrow(/safetensors file is truncated: 5 bytes/);
  });
  test('a corrupt header: not JSON, absurd length, bad entries', async () => {
    const bytes = await fixtureBytes();
    const corrupt = bytes.slice();
    corrupt[8] = 0x7b + 1; // the opening brace becomes "|"
    await expect(readSafetensors(await place(corrupt))).rejects.toThrow(/model\.safetensors: safetensors header is not valid UTF-8 JSON/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    await expect(readSafetensors(await place(huge))).rejects.toThrow(/header claims 1099511627776 bytes, more than the 100000000-byte limit/);
    const badDtype = withHeader('{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1));
    await expect(readSafetensors(await place(badDtype))).rejects.toThrow(/tensor "w": unsupported or missing dtype "F8_E4M3"/);
    const wrongLength = withHeader('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', new Uint8Array(4));
    await expect(readSafetensors(await place(wrongLength))).rejects.toThrow(/tensor "w": data_offsets span 4 bytes but shape \[2\] of F32 needs 8/);
    const overlap = withHeader(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
      new Uint8Array(8),
    );
    await expect(readSafetensors(await place(overlap))).rejects.toThrow(/tensor "b": data_offsets overlaps the previous tensor/);
    const trailing = withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(12));
    await expect(readSafetensors(await place(trailing))).rejects.toThrow(/the tensors cover 4 data bytes but the file holds 12 after the header/);
  });
  test('a missing file or folder', async () => {
    const dir = await scratch();
    await expect(readSafetensors(dir)).rejects.toThrow(/no safetensors weights: neither model\.safetensors nor model\.safetensors\.index\.json exists/);
    await expect(readSafetensors(join(dir, 'absent.safetensors'))).rejects.toThrow(/absent\.safetensors: safetensors file not found/);
  });
  test('index problems: unsafe shard names, missing shard, tensor not in its shard', async () => {
    const source = fixture('hf_gemma_native_bf16_sharded');
    const index = JSON.parse(await readFile(join(source, 'model.safetensors.index.json'), 'utf8'));
    const setup = async (mutate: (weightMap: Record<string, string>) => void) => {
      const dir = await scratch();
      for (const name of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
        await writeFile(join(dir, name), await readFile(join(source, name)));
      }
      const copy = structuredClone(index);
      mutate(copy.weight_map);
      await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(copy));
      return dir;
    };
    const dotDot = await setup((map) => (map['model.norm.weight'] = '../model-00002-of-00002.safetensors'));
    await expect(readSafetensors(dotDot)).rejects.toThrow(/model\.safetensors\.index\.json, tensor "model\.norm\.weight": shard file name "\.\.\/model-00002-of-00002\.safetensors" contains "\.\."/);
    const absolute = await setup((map) => (map['model.norm.weight'] = '/etc/passwd'));
    await expect(readSafetensors(absolute)).rejects.toThrow(/shard file name "\/etc\/passwd" is an absolute path/);
    const nested = await setup((map) => (map['model.norm.weight'] = 'sub/x.safetensors'));
    await expect(readSafetensors(nested)).rejects.toThrow(/shard file name "sub\/x\.safetensors" contains a path separator/);
    const missing = await setup((map) => (map['model.norm.weight'] = 'model-00003-of-00003.safetensors'));
    await expect(readSafetensors(missing)).rejects.toThrow(/model-00003-of-00003\.safetensors: safetensors shard named by .* not found/);
    const misplaced = await setup((map) => (map['model.norm.weight'] = 'model-00001-of-00002.safetensors'));
    await expect(readSafetensors(misplaced)).rejects.toThrow(/tensor "model\.norm\.weight": the index places this tensor in model-00001-of-00002\.safetensors, which does not hold it/);
    const dir = await scratch();
    await writeFile(join(dir, 'model.safetensors.index.json'), '{"weight_map": ');
    await expect(readSafetensors(dir)).rejects.toThrow(/model\.safetensors\.index\.json: safetensors index is not valid JSON/);
  });
  test('writing invalid tensors', async () => {
    const path = join(await scratch(), 'model.safetensors');
    await expect(writeSafetensors(path, { w: { shape: [3], dtype: 'float32', data: new Float32Array(2) } })).rejects.toThrow(/tensor "w": shape \[3\] needs 3 elements but the data has 2/);
    await expect(writeSafetensors(path, { w: { shape: [2], dtype: 'float32', data: new Float64Array(2) as never } })).rejects.toThrow(/float32 data must be a Float32Array, got Float64Array/);
    await expect(writeSafetensors(path, { __metadata__: { shape: [], dtype: 'float32', data: new Float32Array(1) } })).rejects.toThrow(/reserved or empty tensor key/);
  });
});
