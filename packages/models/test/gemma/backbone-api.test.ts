// GemmaBackbone's API around the forward pass: configuration and validation, parameter counts of
// every built-in preset (built lazily: nothing is allocated), bfloat16 storage, and loading errors
// that name the file and the tensor.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaBackbone, gemmaPresets } from '@tensorzoo/models';
import { fixturesDirectory, maxDifference } from '../backends.js';

const temporaryFolders: string[] = [];
function copyFixture(name: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-backbone-'));
  temporaryFolders.push(folder);
  cpSync(join(fixturesDirectory, name), folder, { recursive: true });
  return folder;
}
afterAll(() => temporaryFolders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

const tiny = { vocabularySize: 20, numLayers: 2, numQueryHeads: 4, numKeyValueHeads: 1, hiddenDim: 16, intermediateDim: 32, headDim: 4 };

describe('GemmaBackbone configuration', () => {
  test("KerasHub's own test fixtures: parameter counts 3216 and 3536", () => {
    const gemma = new GemmaBackbone(tiny);
    expect(gemma.countParams()).toBe(3216);
    const gemma2 = new GemmaBackbone({ ...tiny, numKeyValueHeads: 2, slidingWindowSize: 5, attentionLogitSoftCap: 50, finalLogitSoftCap: 30, queryHeadDimNormalize: false, usePostFfwNorm: true, usePostAttentionNorm: true, useSlidingWindowAttention: true });
    expect(gemma2.countParams()).toBe(3536);
    gemma.dispose();
    gemma2.dispose();
  });

  test('every built-in preset configuration has the parameter count of its KerasHub entry (nothing allocated)', async () => {
    for (const [name, preset] of Object.entries(gemmaPresets)) {
      const backbone = await GemmaBackbone.fromPreset(name, { loadWeights: false });
      expect(backbone.countParams(), name).toBe(preset.params);
      expect(backbone.weights.every((variable) => !variable.isMaterialized), name).toBe(true);
      backbone.dispose();
    }
    expect(Object.keys(GemmaBackbone.presets)).toHaveLength(23);
  });

  test('getConfig / fromConfig round-trips and defaults follow KerasHub', () => {
    const backbone = new GemmaBackbone(tiny);
    const config = backbone.getConfig();
    expect(config).toMatchObject({ ...tiny, queryHeadDimNormalize: true, usePostFfwNorm: false, usePostAttentionNorm: false, attentionLogitSoftCap: null, finalLogitSoftCap: null, useSlidingWindowAttention: false, slidingWindowSize: 4096, layerNormEpsilon: 1e-6, dropout: 0, dtype: 'float32', name: 'gemma_backbone' });
    const copy = GemmaBackbone.fromConfig(config as never);
    expect(copy.getConfig()).toEqual(config);
    expect(copy.weights.map((variable) => variable.path)).toEqual(backbone.weights.map((variable) => variable.path));
    backbone.dispose();
    copy.dispose();
  });

  test('constructor validation names the argument, the expectation and the value', () => {
    expect(() => new GemmaBackbone({ ...tiny, numKeyValueHeads: 3 })).toThrow(/numKeyValueHeads.*divisor of numQueryHeads \(4\).*3/);
    expect(() => new GemmaBackbone({ ...tiny, hiddenDim: 0 })).toThrow(/hiddenDim.*positive integer.*0/);
    expect(() => new GemmaBackbone({ ...tiny, vocabularySize: undefined as never })).toThrow(/vocabularySize.*required/);
    expect(() => new GemmaBackbone({ ...tiny, dropout: 2 })).toThrow(/dropout.*\[0, 1\]/);
    expect(() => new GemmaBackbone({ ...tiny, dtype: 'int8' as never })).toThrow(/dtype/);
    expect(() => new GemmaBackbone({ ...tiny, attentionLogitSoftCap: -1 })).toThrow(/attentionLogitSoftCap/);
  });

  test('a bad padding mask or token ids give clear errors', () => {
    const backbone = new GemmaBackbone(tiny);
    expect(() => backbone.call({ tokenIds: [[1, 2, 3]], paddingMask: [[1, 1]] })).toThrow(/paddingMask.*\[1, 3\].*\[1, 2\]/);
    expect(() => backbone.call({ tokenIds: [[1, 20]] })).toThrow(/tokenIds.*\[0, 19\].*20 at \[0, 1\]/);
    expect(() => backbone.call({ tokenIds: tz.tensor([1, 2], undefined, 'int32') })).toThrow(/shape \[batch, sequence\]/);
    backbone.dispose();
  });
});

describe('bfloat16 storage', () => {
  // A bfloat16 policy stores weights in bfloat16 and, as Keras does, rounds activations to
  // bfloat16 between layers; the float32 load of the same bf16 weights is the yardstick.
  test("dtype 'bfloat16' keeps the stored bits and stays close to the float32 load", async () => {
    const folder = join(fixturesDirectory, 'keras_gemma2_tiny_bf16_sharded');
    const asFloat = await GemmaBackbone.fromPreset(folder);
    const asBfloat = await GemmaBackbone.fromPreset(folder, { dtype: 'bfloat16' });
    expect(asBfloat.weights.every((variable) => variable.dtype === 'bfloat16')).toBe(true);
    const embedding = asBfloat.tokenEmbedding.weights[0]!.value;
    expect(embedding.rawDataSync()).toBeInstanceOf(Uint16Array);
    const reference = JSON.parse(readFileSync(join(fixturesDirectory, 'keras_gemma2_tiny_bf16_sharded.reference.json'), 'utf8'));
    const inputs = { tokenIds: tz.tensor(Int32Array.from(reference.inputs.token_ids.data), reference.inputs.token_ids.shape, 'int32') };
    const [a, b] = [asFloat, asBfloat].map((backbone) => tz.tidy(() => backbone.call(inputs)));
    expect(maxDifference(a!.dataSync(), b!.dataSync())).toBeLessThan(0.1);
    expect(b!.dtype).toBe('bfloat16');
    a!.dispose();
    b!.dispose();
    inputs.tokenIds.dispose();
    asFloat.dispose();
    asBfloat.dispose();
  });
});

describe('loading errors name the file and the tensor', () => {
  test('a truncated weights file', async () => {
    const folder = copyFixture('keras_gemma_tiny');
    const file = join(folder, 'model.weights.h5');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/model\.weights\.h5/);
  });

  test('a missing tensor in a safetensors checkpoint', async () => {
    const folder = copyFixture('hf_gemma_native_bf16_sharded');
    const indexFile = join(folder, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    delete index.weight_map['model.layers.1.mlp.up_proj.weight'];
    writeFileSync(indexFile, JSON.stringify(index));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/model\.layers\.1\.mlp\.up_proj\.weight/);
  });

  test('a shape mismatch between config and weights', async () => {
    const folder = copyFixture('keras_gemma_tiny');
    const configFile = join(folder, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.config.hidden_dim = 40;
    writeFileSync(configFile, JSON.stringify(config));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/shape \[2048, 48\].*expected \[2048, 40\].*token_embedding\/embeddings/);
  });

  test('an unknown model_type and an unrecognized config', async () => {
    const folder = copyFixture('hf_gemma_native');
    const configFile = join(folder, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, JSON.stringify({ ...config, model_type: 'llama' }));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/config\.json.*model_type.*"llama"/);
    writeFileSync(configFile, JSON.stringify({ hello: 1 }));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/unrecognized.*format/i);
  });

  test('a missing preset folder and a preset of another class', async () => {
    await expect(GemmaBackbone.fromPreset(join(tmpdir(), 'no-such-preset-here'))).rejects.toThrow(/no-such-preset-here/);
    const folder = copyFixture('keras_gemma_tiny');
    const configFile = join(folder, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, JSON.stringify({ ...config, class_name: 'BertBackbone', registered_name: 'keras_hub>BertBackbone' }));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/BertBackbone.*not a subclass of calling class GemmaBackbone/);
  });
});
