// Random presets (`tensorzoo init --random`): the folder KerasHub writes, seeded and reproducible
// weights with the GemmaBackbone initializers' distributions, written as a stream, loadable by
// GemmaCausalLM.fromPreset; the padded vocabulary encodes like the embedded one (checked with the
// SentencePiece library itself) and has the architecture's size.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { toFloat32 } from '../../src/io/stored-tensor.js';
import { materialize } from '../../src/io/streamed-tensor.js';
import { gemmaH5PathFor } from '../../src/io/gemma-h5-layout.js';
import { padSentencePieceModel, paddingPiece } from '../../src/presets/padded-vocabulary.js';
import { writeRandomPreset } from '../../src/presets/random-preset.js';
import { gemmaInitializer, randomVariable } from '../../src/presets/random-weights.js';
import { GemmaTokenizer, SentencePieceProcessor } from '../../src/tokenizer/index.js';
import { GemmaCausalLM } from '../../src/generation/index.js';
import { loadReferenceProcessor } from '../tokenizer/support/reference-library.js';

const vocabularyFile = new URL('../fixtures/gemma_like_vocab.spm', import.meta.url);
const folders: string[] = [];
async function scratch(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'tz-random-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

// gemma2_2b_en's Gemma 2 settings at a tiny size.
const tiny = { numLayers: 2, hiddenDim: 32, numQueryHeads: 4, numKeyValueHeads: 2, headDim: 8, intermediateDim: 64, vocabularySize: 2100, slidingWindowSize: 8 };

describe('random weights', () => {
  it('are reproducible, independent of slab size, and differ by seed and by variable', () => {
    const shape = [37, 5];
    const a = materialize(randomVariable('decoder_block_0/ffw_linear/kernel', shape, 'float32', 7)).data as Float32Array;
    const bySlabs: number[] = [];
    randomVariable('decoder_block_0/ffw_linear/kernel', shape, 'float32', 7).produce(4, (slab) => bySlabs.push(...(slab as Float32Array)));
    expect(bySlabs).toEqual([...a]);
    const normal = materialize(randomVariable('token_embedding/embeddings', [33, 3], 'float32', 7)).data as Float32Array;
    const normalBySlabs: number[] = [];
    randomVariable('token_embedding/embeddings', [33, 3], 'float32', 7).produce(5, (slab) => normalBySlabs.push(...(slab as Float32Array)));
    expect(normalBySlabs).toEqual([...normal]);
    expect(materialize(randomVariable('decoder_block_0/ffw_linear/kernel', shape, 'float32', 8)).data).not.toEqual(a);
    expect(materialize(randomVariable('decoder_block_1/ffw_linear/kernel', shape, 'float32', 7)).data).not.toEqual(a);
  });

  it('follow the initializers: normal(0, 1/sqrt(V)) embeddings, glorot-uniform kernels, zero scales', () => {
    expect(gemmaInitializer('token_embedding/embeddings', [256000, 2048])).toEqual({ kind: 'normal', stddev: Math.sqrt(1 / 256000) });
    // EinsumDense query kernel [N, D, H]: fan_in = D·N, fan_out = H·N.
    expect(gemmaInitializer('decoder_block_0/attention/query/kernel', [8, 2048, 256])).toEqual({ kind: 'uniform', limit: Math.sqrt(6 / (2048 * 8 + 256 * 8)) });
    expect(gemmaInitializer('decoder_block_3/pre_ffw_norm/scale', [2048])).toEqual({ kind: 'zeros' });
    const embedding = materialize(randomVariable('token_embedding/embeddings', [400, 250], 'float32', 1)).data as Float32Array;
    const mean = embedding.reduce((total, value) => total + value, 0) / embedding.length;
    const std = Math.sqrt(embedding.reduce((total, value) => total + (value - mean) ** 2, 0) / embedding.length);
    expect(Math.abs(mean)).toBeLessThan(0.01 * Math.sqrt(1 / 400) * 10);
    expect(std / Math.sqrt(1 / 400)).toBeCloseTo(1, 1.5);
    const kernel = materialize(randomVariable('decoder_block_0/ffw_gating/kernel', [300, 200], 'float32', 1)).data as Float32Array;
    const limit = Math.sqrt(6 / 500);
    expect(Math.max(...kernel)).toBeLessThanOrEqual(limit);
    expect(Math.min(...kernel)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...kernel)).toBeGreaterThan(0.99 * limit);
    const bf16 = materialize(randomVariable('decoder_block_0/ffw_gating/kernel', [300, 200], 'bfloat16', 1));
    const widened = toFloat32(bf16);
    // bf16 values are the float32 values rounded: relative error ≤ 2^-8.
    for (let index = 0; index < kernel.length; index += 97) expect(Math.abs(widened[index]! - kernel[index]!)).toBeLessThanOrEqual(Math.abs(kernel[index]!) * 2 ** -8);
  });
});

describe('padded vocabulary', () => {
  it('has the architecture size, [PAD<id>] UNUSED pieces, and encodes text exactly like the original (SentencePiece library too)', async () => {
    const original = new Uint8Array(await readFile(vocabularyFile));
    const padded = padSentencePieceModel(original, 2100);
    const ours = new SentencePieceProcessor(padded);
    const base = new SentencePieceProcessor(original);
    expect(base.vocabularySize).toBe(2048);
    expect(ours.vocabularySize).toBe(2100);
    expect(ours.idToPiece(2048)).toBe(paddingPiece(2048));
    expect(ours.isUnused(2099)).toBe(true);
    const reference = await loadReferenceProcessor(padded);
    const referenceBase = await loadReferenceProcessor(original);
    const texts = ['def forward(self, x):\n    return x', 'import numpy as np  # [PAD2048] é 漢字 🙂', '[PAD2050]', ''];
    for (const text of texts) {
      const bytes = new TextEncoder().encode(text);
      expect(ours.encode(text)).toEqual(base.encode(text));
      expect(reference.encodeIds(bytes)).toEqual(referenceBase.encodeIds(bytes));
      expect(ours.encode(text)).toEqual(reference.encodeIds(bytes));
    }
    expect(ours.decode([2049, 416])).toBe(reference.decodeIds([2049, 416]));
    expect(() => padSentencePieceModel(original, 100)).toThrow(/vocabularySize.*2048.*100/);
  });
});

describe('writeRandomPreset', () => {
  it('writes a complete KerasHub preset atomically that GemmaCausalLM.fromPreset loads and runs', async () => {
    const root = await scratch();
    const out = join(root, 'tiny');
    const vocabulary = new Uint8Array(await readFile(vocabularyFile));
    const result = await writeRandomPreset({ preset: 'gemma2_2b_en', dtype: 'bfloat16', out, seed: 3, config: tiny, vocabulary });
    expect(result.files).toEqual(['assets/tokenizer/vocabulary.spm', 'config.json', 'metadata.json', 'model.weights.h5', 'preprocessor.json', 'task.json', 'tokenizer.json']);
    expect(await readdir(root)).toEqual(['tiny']); // no temporary folder left
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.registered_name).toBe('keras_hub>GemmaBackbone');
    expect(config.config).toMatchObject({ vocabulary_size: 2100, num_layers: 2, hidden_dim: 32, use_post_ffw_norm: true, final_logit_soft_cap: 30, dtype: { config: { name: 'bfloat16' } } });
    const metadata = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8'));
    expect(metadata.parameter_count).toBe(result.parameterCount);
    // The stored weights are the streams' values, bf16 opaque as Keras stores them.
    const weights = await readKerasWeights(out);
    try {
      const path = 'decoder_block_1/attention/query/kernel';
      const stored = weights.get(gemmaH5PathFor(path, { numLayers: 2, usePostAttentionNorm: true, usePostFfwNorm: true }));
      expect(stored.dtype).toBe('bfloat16');
      expect([...stored.data as Uint16Array]).toEqual([...materialize(randomVariable(path, [4, 32, 8], 'bfloat16', 3)).data as Uint16Array]);
    } finally {
      weights.close();
    }
    const model = await GemmaCausalLM.fromPreset(out);
    try {
      expect(model.backbone.config.vocabularySize).toBe(2100);
      const tokenizer = model.preprocessor!.tokenizer as GemmaTokenizer;
      expect(tokenizer.vocabularySize()).toBe(2100);
      const text = model.generate('def f(x):', { maxLength: 12 }) as string;
      expect(text.startsWith('def f(x):')).toBe(true);
    } finally {
      model.backbone.dispose();
    }
  });

  it('shards above max_shard_size, reproduces values for the same seed, and refuses a non-empty destination', async () => {
    const root = await scratch();
    const vocabulary = new Uint8Array(await readFile(vocabularyFile));
    const first = await writeRandomPreset({ preset: 'gemma_2b_en', dtype: 'float32', out: join(root, 'a'), config: { ...tiny, numKeyValueHeads: 1 }, vocabulary, maxShardSize: 300_000 / 1024 ** 3 });
    expect(first.files).toContain('model.weights.json');
    expect(first.files.filter((name) => /^model_\d{5}\.weights\.h5$/.test(name)).length).toBeGreaterThan(1);
    const second = await writeRandomPreset({ preset: 'gemma_2b_en', dtype: 'float32', out: join(root, 'b'), config: { ...tiny, numKeyValueHeads: 1 }, vocabulary, maxShardSize: 300_000 / 1024 ** 3 });
    // Same seed, same values (the files' bytes also hold HDF5 modification times, so values are compared).
    const [a, b] = [await readKerasWeights(join(root, 'a')), await readKerasWeights(join(root, 'b'))];
    try {
      expect(b.paths()).toEqual(a.paths());
      for (const path of a.paths()) expect(b.get(path).data, path).toEqual(a.get(path).data);
    } finally {
      a.close();
      b.close();
    }
    expect(second.weightBytes).toBe(first.parameterCount * 4);
    await mkdir(join(root, 'taken'));
    await writeFile(join(root, 'taken', 'keep.txt'), 'x');
    await expect(writeRandomPreset({ preset: 'gemma_2b_en', dtype: 'float32', out: join(root, 'taken'), config: tiny, vocabulary })).rejects.toThrow(/'out' expected a new or empty folder.*taken.*not empty/);
    await expect(writeRandomPreset({ preset: 'gemma_9b_xx', dtype: 'float32', out: join(root, 'c'), vocabulary })).rejects.toThrow(/gemma_9b_xx/);
    await expect(writeRandomPreset({ preset: 'gemma_2b_en', dtype: 'int8' as never, out: join(root, 'c'), vocabulary })).rejects.toThrow(/'dtype' expected 'float32' or 'bfloat16', received "int8"/);
  });
});
