// Backbone LoRA with KerasHub's semantics and its .lora.h5 files, and saveToPreset round trips
// that our loader reads back bit for bit.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaBackbone } from '@tensorzoo/models';
import { fixturesDirectory, maxDifference } from '../backends.js';

const temporaryFolders: string[] = [];
function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-lora-'));
  temporaryFolders.push(folder);
  return folder;
}
afterAll(() => temporaryFolders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

const loraReference = JSON.parse(readFileSync(join(fixturesDirectory, 'keras_gemma_tiny.lora.reference.json'), 'utf8'));
const tinyFolder = join(fixturesDirectory, 'keras_gemma_tiny');

function sequenceOutput(backbone: GemmaBackbone): Float32Array {
  const inputs = loraReference.inputs;
  const output = tz.tidy(() =>
    backbone.call({
      tokenIds: tz.tensor(Int32Array.from(inputs.token_ids.data), inputs.token_ids.shape, 'int32'),
      paddingMask: tz.tensor(Int32Array.from(inputs.padding_mask.data), inputs.padding_mask.shape, 'int32'),
    }),
  );
  const values = output.dataSync() as Float32Array;
  output.dispose();
  return values;
}

const unpadded = (index: number) => loraReference.inputs.padding_mask.data[Math.floor(index / 48)] === 1;

describe('GemmaBackbone.enableLora', () => {
  test('trainable and frozen variables and counts equal KerasHub (rank 4)', async () => {
    const backbone = await GemmaBackbone.fromPreset(tinyFolder);
    expect(backbone.countParams()).toBe(loraReference.params_before);
    backbone.enableLora(4);
    expect(backbone.trainableWeights.map((variable) => ({ path: variable.path, shape: [...variable.shape] }))).toEqual(loraReference.trainable);
    expect(backbone.trainableWeights.reduce((total, variable) => total + variable.size, 0)).toBe(loraReference.trainable_count);
    expect(backbone.nonTrainableWeights.map((variable) => variable.path)).toEqual(loraReference.non_trainable_paths);
    expect(() => backbone.enableLora(4)).toThrow(/already enabled/);
    backbone.dispose();
  });

  test('custom targets: only the named layers get factors', async () => {
    const backbone = await GemmaBackbone.fromPreset(tinyFolder);
    backbone.enableLora(2, ['query']);
    expect(backbone.trainableWeights.map((variable) => variable.path)).toEqual([
      'decoder_block_0/attention/query/lora_kernel_a', 'decoder_block_0/attention/query/lora_kernel_b',
      'decoder_block_1/attention/query/lora_kernel_a', 'decoder_block_1/attention/query/lora_kernel_b',
    ]);
    backbone.dispose();
  });

  test("KerasHub's keras_gemma_tiny.lora.h5 loads and gives its output within 1e-4", async () => {
    const backbone = await GemmaBackbone.fromPreset(tinyFolder);
    const before = sequenceOutput(backbone);
    await backbone.loadLoraWeights(join(fixturesDirectory, 'keras_gemma_tiny.lora.h5'));
    expect(backbone.loraRank).toBe(4);
    const after = sequenceOutput(backbone);
    expect(maxDifference(after, loraReference.sequence_output_with_lora.data, unpadded)).toBeLessThan(1e-4);
    expect(maxDifference(after, before, unpadded)).toBeGreaterThan(1e-3);
    backbone.dispose();
  });

  test('saveLoraWeights → loadLoraWeights round trip into a fresh model; errors as KerasHub', async () => {
    const folder = temporaryFolder();
    const source = await GemmaBackbone.fromPreset(tinyFolder);
    await expect(source.saveLoraWeights(join(folder, 'none.lora.h5'))).rejects.toThrow(/no lora-enabled layers/);
    await source.loadLoraWeights(join(fixturesDirectory, 'keras_gemma_tiny.lora.h5'));
    await expect(source.saveLoraWeights(join(folder, 'adapter.h5'))).rejects.toThrow(/\.lora\.h5/);
    const file = join(folder, 'adapter.lora.h5');
    await source.saveLoraWeights(file);
    expect(readdirSync(folder)).toEqual(['adapter.lora.h5']);
    const target = await GemmaBackbone.fromPreset(tinyFolder);
    await target.loadLoraWeights(file);
    expect(maxDifference(sequenceOutput(target), sequenceOutput(source))).toBe(0);
    const otherRank = await GemmaBackbone.fromPreset(tinyFolder);
    otherRank.enableLora(5);
    await expect(otherRank.loadLoraWeights(file)).rejects.toThrow(/ranks must match/);
    for (const backbone of [source, target, otherRank]) backbone.dispose();
  });

  test('a preset saved after LoRA holds merged kernels and reloads as a plain model with the same outputs', async () => {
    const folder = temporaryFolder();
    const tuned = await GemmaBackbone.fromPreset(tinyFolder);
    await tuned.loadLoraWeights(join(fixturesDirectory, 'keras_gemma_tiny.lora.h5'));
    await tuned.saveToPreset(folder);
    const reloaded = await GemmaBackbone.fromPreset(folder);
    expect(reloaded.loraRank).toBeNull();
    expect(maxDifference(sequenceOutput(reloaded), sequenceOutput(tuned))).toBeLessThan(1e-5);
    tuned.dispose();
    reloaded.dispose();
  });
});

describe('GemmaBackbone.saveToPreset', () => {
  for (const [name, options] of [
    ['keras_gemma_tiny', {}],
    ['keras_gemma2_tiny', { maxShardSize: 300_000 / 1024 ** 3 }],
    ['hf_gemma2_native', {}],
  ] as const) {
    test(`${name}: reloads bit for bit${'maxShardSize' in options ? ' (sharded)' : ''}`, async () => {
      const folder = temporaryFolder();
      const original = await GemmaBackbone.fromPreset(join(fixturesDirectory, name));
      await original.saveToPreset(folder, options);
      const files = readdirSync(folder).sort();
      expect(files).toContain('config.json');
      expect(files).toContain('metadata.json');
      if ('maxShardSize' in options) {
        expect(files).toContain('model.weights.json');
        expect(files.filter((file) => /^model_\d{5}\.weights\.h5$/.test(file)).length).toBeGreaterThan(1);
      } else expect(files).toContain('model.weights.h5');
      expect(files.some((file) => file.includes('.tmp') || file.includes('.partial'))).toBe(false);
      const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
      expect(config.registered_name).toBe('keras_hub>GemmaBackbone');
      const metadata = JSON.parse(readFileSync(join(folder, 'metadata.json'), 'utf8'));
      expect(metadata.parameter_count).toBe(original.countParams());
      expect(metadata.tasks).toEqual(['CausalLM']);
      const reloaded = await GemmaBackbone.fromPreset(folder);
      // A Hugging Face query_pre_attn_scalar is written as KerasHub's query_head_dim_normalize.
      const { queryPreAttentionScalar, ...originalConfig } = original.getConfig();
      expect({ ...reloaded.getConfig(), queryPreAttentionScalar: undefined }).toEqual({ ...originalConfig, queryPreAttentionScalar: undefined });
      expect(queryPreAttentionScalar === null || queryPreAttentionScalar === original.config.headDim).toBe(true);
      original.weights.forEach((variable, index) => {
        const copy = reloaded.weights[index]!;
        expect(copy.path).toBe(variable.path);
        expect(Buffer.from(copy.value.rawDataSync().buffer).equals(Buffer.from(variable.value.rawDataSync().buffer)), variable.path).toBe(true);
      });
      original.dispose();
      reloaded.dispose();
    });
  }

  test('bfloat16 weights are saved as bfloat16 and reload with identical bits', async () => {
    const folder = temporaryFolder();
    const original = await GemmaBackbone.fromPreset(join(fixturesDirectory, 'keras_gemma2_tiny_bf16_sharded'), { dtype: 'bfloat16' });
    await original.saveToPreset(folder);
    const reloaded = await GemmaBackbone.fromPreset(folder, { dtype: 'bfloat16' });
    original.weights.forEach((variable, index) => {
      const a = variable.value.rawDataSync() as Uint16Array;
      const b = reloaded.weights[index]!.value.rawDataSync() as Uint16Array;
      expect(b).toBeInstanceOf(Uint16Array);
      expect(Array.from(b)).toEqual(Array.from(a));
    });
    original.dispose();
    reloaded.dispose();
  });
});
