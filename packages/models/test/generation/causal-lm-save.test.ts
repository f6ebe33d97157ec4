// GemmaCausalLM.saveToPreset: a KerasHub task preset (task.json, backbone files, preprocessor,
// tokenizer assets) that reloads with identical weights, tokenizer and generations.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { GemmaCausalLM } from '@tensorzoo/models';
import { fixturesDirectory } from '../backends.js';

const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-task-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test('a saved task preset has KerasHub files and reloads to the same model', async () => {
  const source = join(fixturesDirectory, 'keras_gemma_tiny');
  const original = await GemmaCausalLM.fromPreset(source);
  await original.saveToPreset(folder);
  for (const file of ['task.json', 'preprocessor.json', 'tokenizer.json', 'config.json', 'metadata.json', 'model.weights.h5'])
    expect(() => readFileSync(join(folder, file)), file).not.toThrow();
  expect(readFileSync(join(folder, 'assets/tokenizer/vocabulary.spm')).equals(readFileSync(join(source, 'assets/tokenizer/vocabulary.spm')))).toBe(true);
  for (const file of ['task.json', 'preprocessor.json', 'tokenizer.json'])
    expect(JSON.parse(readFileSync(join(folder, file), 'utf8')), file).toEqual(JSON.parse(readFileSync(join(source, file), 'utf8')));
  const reloaded = await GemmaCausalLM.fromPreset(folder);
  expect(reloaded.preprocessor!.sequenceLength).toBe(original.preprocessor!.sequenceLength);
  const prompts = ['the quick brown fox', 'a'];
  expect(reloaded.generate(prompts, { maxLength: 20 })).toEqual(original.generate(prompts, { maxLength: 20 }));
  original.backbone.dispose();
  reloaded.backbone.dispose();
});
