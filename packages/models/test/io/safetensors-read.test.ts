// Reading the Hugging Face fixtures: every tensor transformers' Gemma layout implies (spec §3.5)
// with the shapes its config implies, float32, bfloat16 and the sharded index, KerasHub's key
// lookup rules, and the bytes variant.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';

import { readSafetensors, readSafetensorsFromBytes, type SafetensorsWeights } from '../../src/io/safetensors-read.js';
import { writeSafetensorsToBytes } from '../../src/io/safetensors-write.js';
import { toFloat32 } from '../../src/io/stored-tensor.js';
import { fixture, sameTensor } from './helpers.js';

const opened: SafetensorsWeights[] = [];
afterAll(() => opened.forEach((weights) => weights.close()));

async function open(location: string): Promise<SafetensorsWeights> {
  const weights = await readSafetensors(location);
  opened.push(weights);
  return weights;
}

/** Keys and shapes a transformers Gemma/Gemma 2 checkpoint has, from its config.json. */
function expectedTensors(folder: string): Map<string, number[]> {
  const config = JSON.parse(readFileSync(fixture(folder, 'config.json'), 'utf8'));
  const hidden = config.hidden_size;
  const queryWidth = config.num_attention_heads * config.head_dim;
  const keyValueWidth = config.num_key_value_heads * config.head_dim;
  const feedForward = config.intermediate_size;
  const expected = new Map<string, number[]>([['model.embed_tokens.weight', [config.vocab_size, hidden]]]);
  const norms = ['input_layernorm', 'post_attention_layernorm'];
  if (config.model_type === 'gemma2') norms.push('pre_feedforward_layernorm', 'post_feedforward_layernorm');
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    const prefix = `model.layers.${layer}`;
    for (const norm of norms) expected.set(`${prefix}.${norm}.weight`, [hidden]);
    expected.set(`${prefix}.self_attn.q_proj.weight`, [queryWidth, hidden]);
    expected.set(`${prefix}.self_attn.k_proj.weight`, [keyValueWidth, hidden]);
    expected.set(`${prefix}.self_attn.v_proj.weight`, [keyValueWidth, hidden]);
    expected.set(`${prefix}.self_attn.o_proj.weight`, [hidden, queryWidth]);
    expected.set(`${prefix}.mlp.gate_proj.weight`, [feedForward, hidden]);
    expected.set(`${prefix}.mlp.up_proj.weight`, [feedForward, hidden]);
    expected.set(`${prefix}.mlp.down_proj.weight`, [hidden, feedForward]);
  }
  expected.set('model.norm.weight', [hidden]);
  return expected;
}

describe.each([
  { folder: 'hf_gemma_native', dtype: 'float32', files: ['model.safetensors'] },
  { folder: 'hf_gemma2_native', dtype: 'float32', files: ['model.safetensors'] },
  {
    folder: 'hf_gemma_native_bf16_sharded',
    dtype: 'bfloat16',
    files: ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
  },
])('$folder', ({ folder, dtype, files }) => {
  test('holds every tensor of the transformers layout with the config\'s shapes', async () => {
    const weights = await open(fixture(folder));
    const expected = expectedTensors(folder);
    expect(weights.keys().sort()).toEqual([...expected.keys()].sort());
    for (const [key, shape] of expected) {
      const tensor = weights.get(key);
      expect(tensor.shape, key).toEqual(shape);
      expect(tensor.dtype, key).toBe(dtype);
    }
    expect(weights.metadata).toEqual({ format: 'pt' });
    expect(weights.files.map((file) => file.split('/').at(-1))).toEqual(files);
  });

  test('reads the same from bytes', async () => {
    const bytes = new Map<string, Uint8Array>();
    for (const file of files) bytes.set(file, new Uint8Array(await readFile(fixture(folder, file))));
    const fromBytes = await readSafetensorsFromBytes(bytes);
    opened.push(fromBytes);
    const fromDisk = await open(fixture(folder));
    for (const key of fromDisk.keys()) expect(sameTensor(fromBytes.get(key), fromDisk.get(key)), key).toBe(true);
  });
});

test('float32 and bfloat16 values are the stored ones', async () => {
  // Expected values: numpy reading the raw little-endian data (bf16 widened with ml_dtypes).
  const float32 = await open(fixture('hf_gemma_native', 'model.safetensors'));
  expect([...toFloat32(float32.get('model.norm.weight')).subarray(0, 4)]).toEqual([
    -0.03586665168404579, 0.11234597116708755, -0.01937699317932129, -0.1642560213804245,
  ]);
  const bfloat16 = await open(fixture('hf_gemma_native_bf16_sharded', 'model.safetensors.index.json'));
  expect([...toFloat32(bfloat16.get('model.norm.weight')).subarray(0, 4)]).toEqual([-0.040771484375, 0.49609375, -0.279296875, -0.1572265625]);
  const query = toFloat32(bfloat16.get('model.layers.1.self_attn.q_proj.weight'));
  expect([...query.subarray(0, 4)]).toEqual([-0.01123046875, 0.0106201171875, 0.0380859375, 0.01483154296875]);
  expect(query.reduce((total, value) => total + value, 0)).toBeCloseTo(0.42640817165374756, 9);
  expect(bfloat16.info('model.norm.weight').file.endsWith('model-00002-of-00002.safetensors')).toBe(true);
});

test("KerasHub's key lookup: exact, then remembered prefix, then suffix match", async () => {
  // A multimodal-style checkpoint whose text model sits under `language_model.`, with another
  // tower whose keys sort first and share suffixes with it.
  const tensor = (value: number) => ({ shape: [1], dtype: 'float32' as const, data: Float32Array.of(value) });
  const bytes = writeSafetensorsToBytes({
    'a_vision.model.norm.weight': tensor(9),
    'language_model.model.embed_tokens.weight': tensor(1),
    'language_model.model.norm.weight': tensor(2),
  });
  const weights = await readSafetensorsFromBytes(new Map([['model.safetensors', bytes]]));
  opened.push(weights);
  expect(weights.keys()).toEqual(['a_vision.model.norm.weight', 'language_model.model.embed_tokens.weight', 'language_model.model.norm.weight']);
  // An exact key always wins.
  expect(weights.resolveKey('a_vision.model.norm.weight')).toBe('a_vision.model.norm.weight');
  // No exact key: the first stored key ending with it; its leading part becomes the prefix.
  expect(weights.resolveKey('model.embed_tokens.weight')).toBe('language_model.model.embed_tokens.weight');
  // The remembered prefix is tried before the suffix search, which would find a_vision first.
  expect(weights.resolveKey('model.norm.weight')).toBe('language_model.model.norm.weight');
  expect(toFloat32(weights.get('model.norm.weight'))[0]).toBe(2);
  // Unknown keys come back as given, and reading them is a clear error naming file and key.
  expect(weights.resolveKey('lm_head.weight')).toBe('lm_head.weight');
  expect(weights.has('lm_head.weight')).toBe(false);
  expect(() => weights.get('lm_head.weight')).toThrow(/model\.safetensors, tensor "lm_head\.weight": tensor not found \(the checkpoint holds 3 tensors\)/);
});

test('suffix matching is plain string suffix matching, as in KerasHub', async () => {
  const weights = await open(fixture('hf_gemma_native'));
  // `endswith` semantics: the first key in file order ending in "norm.weight" is a layer norm.
  expect(weights.resolveKey('norm.weight')).toBe('model.layers.0.input_layernorm.weight');
  expect(() => weights.get('lm_head.weight')).toThrow(/tensor "lm_head\.weight": tensor not found \(the checkpoint holds 20 tensors\)/);
});
