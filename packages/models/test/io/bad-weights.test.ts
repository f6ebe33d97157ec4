// Issue 19, "inputs accepted silently" and the special-file cases: every one used to load or fail
// without naming what was wrong.
// - directories and FIFOs where a weights file, shard, index or vocabulary belongs: reported as
//   "not found", or (FIFO) blocking forever; now "is a directory / a FIFO, not a file";
// - a corrupt vocabulary.spm: an error without its path; now the path leads the message;
// - safetensors I32/U32 where a float weight belongs: cast to float32; now refused, naming it;
// - NaN or ±Inf in a weight: loaded, then printed as JSON null; now refused with where it is.
// The fixtures are copied to scratch folders and patched byte for byte.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TensorzooError } from '@tensorzoo/core';

import { GemmaBackbone } from '../../src/gemma/gemma-backbone.js';
import { CheckpointError } from '../../src/io/errors.js';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { readSafetensors } from '../../src/io/safetensors-read.js';
import { GemmaTokenizer } from '../../src/tokenizer/gemma-tokenizer.js';
import { findNonFinite } from '../../src/io/weight-checks.js';
import { fixture } from './helpers.js';

const folders: string[] = [];
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function copyFixture(name: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-bad-weights-'));
  folders.push(folder);
  cpSync(fixture(name), folder, { recursive: true });
  return folder;
}

/** Replaces a file by a directory of the same name. */
function replaceWithDirectory(path: string): void {
  unlinkSync(path);
  mkdirSync(path);
}

/** Replaces a file by a FIFO (named pipe) that nobody writes to: a read would block forever. */
function replaceWithFifo(path: string): void {
  unlinkSync(path);
  execFileSync('mkfifo', [path]);
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('directories and FIFOs where files belong are named as such (and never block)', () => {
  test.each([
    { name: 'safetensors file, directory', fixtureName: 'hf_gemma_native', file: 'model.safetensors', replace: replaceWithDirectory, kind: /expected a file, found a directory/ },
    { name: 'safetensors file, FIFO', fixtureName: 'hf_gemma_native', file: 'model.safetensors', replace: replaceWithFifo, kind: /expected a file, found a FIFO/ },
    { name: 'safetensors shard, directory', fixtureName: 'hf_gemma_native_bf16_sharded', file: 'model-00002-of-00002.safetensors', replace: replaceWithDirectory, kind: /is a directory, not a file/ },
    { name: 'safetensors shard, FIFO', fixtureName: 'hf_gemma_native_bf16_sharded', file: 'model-00001-of-00002.safetensors', replace: replaceWithFifo, kind: /is a FIFO \(named pipe\), not a file/ },
    { name: 'safetensors index, FIFO', fixtureName: 'hf_gemma_native_bf16_sharded', file: 'model.safetensors.index.json', replace: replaceWithFifo, kind: /expected a file, found a FIFO/ },
  ])('$name', async ({ fixtureName, file, replace, kind }) => {
    const folder = copyFixture(fixtureName);
    replace(join(folder, file));
    const error = await rejection(readSafetensors(folder));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain(join(folder, file));
    expect(error.message).toMatch(kind);
    expect(error.message).not.toMatch(/not found/);
  }, 20_000);

  test.each([
    { name: 'Keras weights file, directory', fixtureName: 'keras_gemma_tiny', file: 'model.weights.h5', replace: replaceWithDirectory, kind: /expected a file, found a directory/ },
    { name: 'Keras weights file, FIFO', fixtureName: 'keras_gemma_tiny', file: 'model.weights.h5', replace: replaceWithFifo, kind: /expected a file, found a FIFO/ },
    { name: 'Keras shard, FIFO', fixtureName: 'keras_gemma2_tiny_bf16_sharded', file: 'model_00001.weights.h5', replace: replaceWithFifo, kind: /is a FIFO \(named pipe\), not a file/ },
    { name: 'Keras shard, directory', fixtureName: 'keras_gemma2_tiny_bf16_sharded', file: 'model_00000.weights.h5', replace: replaceWithDirectory, kind: /is a directory, not a file/ },
  ])('$name', async ({ fixtureName, file, replace, kind }) => {
    const folder = copyFixture(fixtureName);
    replace(join(folder, file));
    const error = await rejection(readKerasWeights(folder));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain(join(folder, file));
    expect(error.message).toMatch(kind);
  }, 20_000);

  test('a preset whose vocabulary.spm is a FIFO or a directory', async () => {
    const folder = copyFixture('keras_gemma_tiny');
    const vocabulary = join(folder, 'assets', 'tokenizer', 'vocabulary.spm');
    replaceWithFifo(vocabulary);
    await expect(GemmaTokenizer.fromPreset(folder)).rejects.toThrow(`${vocabulary}: Gemma tokenizer vocabulary (assets/tokenizer/vocabulary.spm) is a FIFO (named pipe), not a file`);
    unlinkSync(vocabulary);
    mkdirSync(vocabulary);
    await expect(GemmaTokenizer.fromPreset(folder)).rejects.toThrow(`${vocabulary}: Gemma tokenizer vocabulary (assets/tokenizer/vocabulary.spm) is a directory, not a file`);
    await expect(GemmaTokenizer.fromFile(vocabulary)).rejects.toThrow(`${vocabulary}: SentencePiece tokenizer proto is a directory, not a file`);
  }, 20_000);
});

describe('a corrupt vocabulary.spm names its path', () => {
  test.each([
    { name: 'truncated to half', corrupt: (bytes: Uint8Array) => bytes.subarray(0, bytes.length >> 1) },
    { name: 'random bytes', corrupt: (bytes: Uint8Array) => bytes.map((_, index) => (index * 2654435761) >>> 24) },
    { name: 'empty', corrupt: () => new Uint8Array(0) },
  ])('$name', async ({ corrupt }) => {
    const folder = copyFixture('keras_gemma_tiny');
    const vocabulary = join(folder, 'assets', 'tokenizer', 'vocabulary.spm');
    writeFileSync(vocabulary, corrupt(new Uint8Array(readFileSync(vocabulary))));
    const error = await rejection(GemmaTokenizer.fromPreset(folder));
    expect(error).toBeInstanceOf(TensorzooError);
    expect(error.message.startsWith(`${vocabulary}: `)).toBe(true);
    const fromFile = await rejection(GemmaTokenizer.fromFile(vocabulary));
    expect(fromFile.message.startsWith(`${vocabulary}: `)).toBe(true);
  });
});

/** Patches `bytes` in place where `find` occurs exactly once. */
function patchOnce(bytes: Uint8Array, find: Uint8Array, replacement: Uint8Array): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = text.indexOf(find);
  expect(at, 'pattern found').toBeGreaterThanOrEqual(0);
  expect(text.indexOf(find, at + 1), 'pattern unique').toBe(-1);
  bytes.set(replacement, at);
}

describe('weights of the wrong dtype or with NaN/Inf are refused at load, naming file and tensor', () => {
  const key = 'model.layers.1.mlp.up_proj.weight';

  test.each(['I32', 'U32'])('safetensors %s where float32 belongs', async (dtype) => {
    const folder = copyFixture('hf_gemma_native');
    const file = join(folder, 'model.safetensors');
    const bytes = new Uint8Array(readFileSync(file));
    const encoder = new TextEncoder();
    patchOnce(bytes, encoder.encode(`"${key}":{"dtype":"F32"`), encoder.encode(`"${key}":{"dtype":"${dtype}"`));
    writeFileSync(file, bytes);
    const error = await rejection(GemmaBackbone.fromPreset(folder));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe(
      `${file}, tensor "${key}": stores ${dtype === 'I32' ? 'int32' : 'uint32'} values where a floating-point weight belongs (float32, bfloat16 or float16); a wrong dtype is not cast`,
    );
  });

  test.each([
    { name: 'NaN', value: Number.NaN },
    { name: '+Inf', value: Number.POSITIVE_INFINITY },
    { name: '-Inf', value: Number.NEGATIVE_INFINITY },
  ])('safetensors float32 $name', async ({ value }) => {
    const folder = copyFixture('hf_gemma_native');
    const file = join(folder, 'model.safetensors');
    const original = await readSafetensors(file);
    const stored = original.get(key).data as Float32Array;
    original.close();
    const bytes = new Uint8Array(readFileSync(file));
    // Element [3, 5] of the [40, 32] tensor: flat index 101.
    const patched = stored.slice(100, 104);
    patched[1] = value;
    patchOnce(bytes, new Uint8Array(stored.slice(100, 104).buffer), new Uint8Array(patched.buffer));
    writeFileSync(file, bytes);
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(
      `${file}, tensor "${key}": holds 1 non-finite value (NaN or ±Inf), the first at element 101 [3, 5] of shape [40, 32]`,
    );
  });

  test('Keras h5 float32 NaN in a kernel', async () => {
    const folder = copyFixture('keras_gemma_tiny');
    const file = join(folder, 'model.weights.h5');
    const weights = await readKerasWeights(folder);
    const h5Path = weights.paths().find((path) => path.includes('ffw_linear'))!;
    const stored = weights.get(h5Path);
    weights.close();
    expect(stored.dtype).toBe('float32');
    const values = stored.data as Float32Array;
    const window = values.slice(8, 16);
    const patched = window.slice();
    patched[0] = Number.NaN;
    patched[3] = Number.NaN;
    const bytes = new Uint8Array(readFileSync(file));
    patchOnce(bytes, new Uint8Array(window.buffer), new Uint8Array(patched.buffer));
    writeFileSync(file, bytes);
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, tensor "${h5Path}": holds 2 non-finite values \\(NaN or ±Inf\\), the first at element 8 `),
    );
  });

  test('the scan reads bfloat16 and float16 exponent bits: finite extremes pass, Inf and NaN do not', () => {
    const bf16 = new Uint16Array([0x7f7f, 0xff7f, 0x0001, 0x8000, 0x7f80, 0xffc0]);
    expect(findNonFinite({ shape: [6], dtype: 'bfloat16', data: bf16 })).toEqual({ first: 4, count: 2 });
    const f16 = new Uint16Array([0x7bff, 0xfbff, 0x0001, 0x7c00, 0xfe00]);
    expect(findNonFinite({ shape: [5], dtype: 'float16', data: f16 })).toEqual({ first: 3, count: 2 });
    expect(findNonFinite({ shape: [3], dtype: 'float32', data: new Float32Array([3.4e38, -3.4e38, 1e-45]) })).toEqual({ first: -1, count: 0 });
  });
});

describe('an HDF5 file that failed mid-walk is not read again from HDF5\'s stale state', () => {
  test('repaired in place (same inode): refused with the reason; replaced by a new copy: read', async () => {
    const { caseRandom, mutateBytes } = await import('../fuzz/mutate.js');
    const folder = copyFixture('keras_gemma_tiny');
    const file = join(folder, 'model.weights.h5');
    const original = new Uint8Array(readFileSync(file));
    // A corruption from the fuzz corpus (h5 #6 of seed 20240519) that opens but fails in the
    // group walk: HDF5 keeps the file open afterwards (h5wasm leaves group ids open).
    writeFileSync(file, mutateBytes(original, caseRandom(20240519, 6), { headerBytes: 4096, headerBias: 0.6 }).bytes);
    await expect(readKerasWeights(folder)).rejects.toThrow(/cannot read the file's groups and datasets/);
    // Rewritten in place: HDF5 would match the inode and answer from the corrupt file's cache.
    writeFileSync(file, original);
    await expect(readKerasWeights(folder)).rejects.toThrow(/was found corrupt earlier in this process and the HDF5 library still holds that file open/);
    // A new copy (a new inode) reads normally.
    writeFileSync(`${file}.new`, original);
    execFileSync('mv', [`${file}.new`, file]);
    const weights = await readKerasWeights(folder);
    expect(weights.paths().length).toBeGreaterThan(0);
    weights.close();
  });

  test('two handles on one file: closing one does not mark it', async () => {
    const folder = copyFixture('keras_gemma_tiny');
    const first = await readKerasWeights(folder);
    const second = await readKerasWeights(folder);
    first.close();
    second.close();
    const again = await readKerasWeights(folder);
    expect(again.paths().length).toBeGreaterThan(0);
    again.close();
  });
});
