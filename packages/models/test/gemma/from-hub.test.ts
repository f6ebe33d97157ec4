// fromPreset over the network: real fixture checkpoints served by a local hub on 127.0.0.1 in
// Hugging Face's and Kaggle's URL layouts, downloaded into a temporary cache, then loaded and
// compared with the reference numbers; a second load works offline from the cache.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaBackbone, GemmaCausalLM } from '@tensorzoo/models';
import { fixturesDirectory, maxDifference } from '../backends.js';
import { fileHandler, huggingFaceRoute, kaggleRoute, startServer } from '../presets/hub-server.js';

const folders: string[] = [];
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function filesOf(folder: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(folder, path).split('\\').join('/'), readFileSync(path));
    }
  };
  walk(folder);
  return files;
}

function hiddenStates(backbone: GemmaBackbone, inputs: { token_ids: { shape: number[]; data: number[] }; padding_mask: { shape: number[]; data: number[] } }) {
  const output = tz.tidy(() =>
    backbone.call({
      tokenIds: tz.tensor(Int32Array.from(inputs.token_ids.data), inputs.token_ids.shape, 'int32'),
      paddingMask: tz.tensor(Int32Array.from(inputs.padding_mask.data), inputs.padding_mask.shape, 'int32'),
    }),
  );
  const values = output.dataSync();
  output.dispose();
  return values;
}

describe('fromPreset from a hub', () => {
  test('hf://owner/repo with a Hugging Face checkpoint: downloads, matches transformers, then loads offline', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tensorzoo-cache-'));
    folders.push(cache);
    const { handler, served } = fileHandler({ route: huggingFaceRoute('test-owner', 'tiny-gemma'), files: filesOf(join(fixturesDirectory, 'hf_gemma_native_bf16_sharded')) });
    const server = await startServer(handler);
    const progress: string[] = [];
    const options = { cacheDirectory: cache, huggingFaceBaseUrl: server.baseUrl, onProgress: (event: { label: string }) => progress.push(event.label) };
    const reference = JSON.parse(readFileSync(join(fixturesDirectory, 'hf_gemma_native_bf16_sharded.reference.json'), 'utf8'));
    try {
      const backbone = await GemmaBackbone.fromPreset('hf://test-owner/tiny-gemma', options);
      const perPosition = reference.last_hidden_state.shape[2];
      const keep = (index: number) => reference.inputs.padding_mask.data[Math.floor(index / perPosition)] === 1;
      expect(maxDifference(hiddenStates(backbone, reference.inputs), reference.last_hidden_state.data, keep)).toBeLessThan(1e-4);
      backbone.dispose();
      expect(served.get('model-00001-of-00002.safetensors')).toBe(1);
      expect(progress).toContain('model-00002-of-00002.safetensors');
    } finally {
      await server.close();
    }
    const offline = await GemmaBackbone.fromPreset('hf://test-owner/tiny-gemma', { ...options, offline: true });
    expect(offline.countParams()).toBeGreaterThan(0);
    offline.dispose();
  });

  test('kaggle://owner/model/keras/variant/version: GemmaCausalLM.fromPreset downloads a KerasHub preset and generates as KerasHub', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tensorzoo-cache-'));
    folders.push(cache);
    const { handler } = fileHandler({ route: kaggleRoute('keras', 'gemma', 'tiny', 1), files: filesOf(join(fixturesDirectory, 'keras_gemma_tiny')) });
    const server = await startServer(handler);
    const expected = JSON.parse(readFileSync(join(fixturesDirectory, 'keras_gemma_tiny.reference.json'), 'utf8')).generate;
    try {
      const model = await GemmaCausalLM.fromPreset('kaggle://keras/gemma/keras/tiny/1', { cacheDirectory: cache, kaggleBaseUrl: server.baseUrl });
      expect(model.generate(expected.prompts, { maxLength: expected.max_length })).toEqual(expected.outputs);
      model.backbone.dispose();
    } finally {
      await server.close();
    }
  });
});
