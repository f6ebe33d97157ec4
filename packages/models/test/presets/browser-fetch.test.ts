// fromPreset's fetch path (what browsers use; http(s) URLs anywhere): fixture presets served on
// 127.0.0.1 load into memory (Keras h5 single and sharded, safetensors single and sharded) with
// exactly the weights of the folder loader; progress is reported in bytes; hf:// maps to
// Hugging Face's resolve route; a missing file and a bad URL are one clear error each. The Cache
// API half (a reload downloads nothing) runs in Chromium: apps/docs/test/playground.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { fetchPresetFiles, GemmaBackbone, GemmaCausalLM, gemmaBackboneFromFiles, presetBaseUrl, PresetFileNotFoundError } from '@tensorzoo/models';
import { fixturesDirectory } from '../backends.js';
import { fileHandler, huggingFaceRoute, startServer } from './hub-server.js';

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

const prefixRoute = (prefix: string) => (path: string) => (path.startsWith(prefix) ? path.slice(prefix.length) : undefined);

function weightValues(backbone: GemmaBackbone): Map<string, number[]> {
  return new Map(backbone.weights.map((variable) => [variable.path, Array.from(variable.value.dataSync() as ArrayLike<number>)]));
}

describe('presets over HTTP into memory', () => {
  test.each(['keras_gemma_tiny', 'keras_gemma2_tiny_bf16_sharded', 'hf_gemma_native', 'hf_gemma_native_bf16_sharded', 'keras_gemma_quant_int8'])(
    '%s: the same weights as the folder loader',
    async (fixture) => {
      const folder = join(fixturesDirectory, fixture);
      const { handler, served } = fileHandler({ route: prefixRoute('/models/tiny/'), files: filesOf(folder) });
      const server = await startServer(handler);
      try {
        const progress: { label: string; loaded: number; total: number; unit?: string }[] = [];
        const fetched = await GemmaBackbone.fromPreset(`${server.baseUrl}/models/tiny/`, { onProgress: (event) => progress.push(event) });
        const local = await GemmaBackbone.fromPreset(folder);
        const want = weightValues(local);
        const got = weightValues(fetched);
        expect([...got.keys()]).toEqual([...want.keys()]);
        for (const [path, values] of want) expect(got.get(path), path).toEqual(values);
        // Every weights file was fetched once, with byte progress ending at its size.
        const weightFiles = [...filesOf(folder).keys()].filter((name) => /\.(h5|safetensors)$/.test(name));
        for (const name of weightFiles) {
          expect(served.get(name), name).toBe(1);
          const last = progress.filter((event) => event.label === name).at(-1)!;
          expect(last.loaded).toBe(statSync(join(folder, name)).size);
          expect(last.unit).toBe('bytes');
        }
        fetched.dispose();
        local.dispose();
      } finally {
        await server.close();
      }
    },
  );

  test('GemmaCausalLM.fromPreset on a URL generates what the folder preset generates', async () => {
    const folder = join(fixturesDirectory, 'keras_gemma_tiny');
    const { handler } = fileHandler({ route: prefixRoute('/p/'), files: filesOf(folder) });
    const server = await startServer(handler);
    try {
      const expected = JSON.parse(readFileSync(join(fixturesDirectory, 'keras_gemma_tiny.reference.json'), 'utf8')).generate;
      const model = await GemmaCausalLM.fromPreset(`${server.baseUrl}/p`);
      expect(model.generate(expected.prompts, { maxLength: expected.max_length })).toEqual(expected.outputs);
      model.backbone.dispose();
    } finally {
      await server.close();
    }
  });

  test('hf://owner/repository fetches from the resolve route of the Hugging Face base URL', async () => {
    expect(presetBaseUrl('hf://google/gemma-2b')).toBe('https://huggingface.co/google/gemma-2b/resolve/main/');
    const { handler } = fileHandler({ route: huggingFaceRoute('owner', 'tiny'), files: filesOf(join(fixturesDirectory, 'hf_gemma_native')) });
    const server = await startServer(handler);
    try {
      const fetched = await fetchPresetFiles('hf://owner/tiny', { huggingFaceBaseUrl: server.baseUrl });
      expect(fetched.format).toBe('transformers');
      expect([...fetched.files.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.model']);
      const backbone = await gemmaBackboneFromFiles(fetched);
      expect(backbone.countParams()).toBeGreaterThan(0);
      backbone.dispose();
    } finally {
      await server.close();
    }
  });

  test('the fetched .h5 bytes are released once h5wasm holds them (weights not in memory twice)', async () => {
    const { handler } = fileHandler({ route: prefixRoute('/p/'), files: filesOf(join(fixturesDirectory, 'keras_gemma2_tiny_bf16_sharded')) });
    const server = await startServer(handler);
    try {
      const fetched = await fetchPresetFiles(`${server.baseUrl}/p/`);
      expect([...fetched.files.keys()].filter((name) => name.endsWith('.h5'))).toEqual(['model_00000.weights.h5', 'model_00001.weights.h5']);
      const backbone = await gemmaBackboneFromFiles(fetched);
      expect([...fetched.files.keys()].filter((name) => name.endsWith('.h5'))).toEqual([]);
      expect(fetched.files.has('config.json')).toBe(true);
      backbone.dispose();
    } finally {
      await server.close();
    }
  });

  test('a missing weights file and a bad handle are one clear error each; nothing is built', async () => {
    const files = filesOf(join(fixturesDirectory, 'keras_gemma_tiny'));
    files.delete('model.weights.h5');
    const { handler } = fileHandler({ route: prefixRoute('/p/'), files });
    const server = await startServer(handler);
    const before = tz.memory().numTensors;
    try {
      await expect(GemmaBackbone.fromPreset(`${server.baseUrl}/p/`)).rejects.toThrow(PresetFileNotFoundError);
      await expect(GemmaBackbone.fromPreset(`${server.baseUrl}/p/`)).rejects.toThrow(/model\.weights\.h5.*HTTP 404/);
    } finally {
      await server.close();
    }
    expect(tz.memory().numTensors).toBe(before);
    expect(() => presetBaseUrl('hf://only-owner')).toThrow(/hf:\/\/owner\/repository/);
    expect(() => presetBaseUrl('kaggle://keras/gemma/keras/gemma_2b_en/2')).toThrow(/Kaggle/);
  });
});
