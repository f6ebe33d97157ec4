// GemmaCausalLM: KerasHub's generate outputs on the fixtures, the embedded demo model's greedy
// continuations (transformers) and KerasHub texts, held-out NLL, and cached = uncached.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaCausalLM } from '@tensorzoo/models';
import { describeBackends, fixturesDirectory } from '../backends.js';

interface DemoReference {
  prompts: { prompt: string; prompt_ids: number[]; transformers_greedy_ids: number[]; keras_hub_generate: string }[];
  held_out_first512: { token_ids: number[]; mean_nll: number };
}

const demo = JSON.parse(readFileSync(join(fixturesDirectory, 'tinycode-gemma2-6m.reference.json'), 'utf8')) as DemoReference;

for (const name of ['keras_gemma_tiny', 'keras_gemma2_tiny']) {
  describeBackends(`GemmaCausalLM.generate on ${name}`, () => {
    const expected = JSON.parse(readFileSync(join(fixturesDirectory, `${name}.reference.json`), 'utf8')).generate as {
      prompts: string[];
      max_length: number;
      outputs: string[];
    };
    let model: GemmaCausalLM;
    beforeAll(async () => {
      model = await GemmaCausalLM.fromPreset(join(fixturesDirectory, name));
    });
    afterAll(() => model?.backbone.dispose());

    test('batched greedy generate reproduces KerasHub exactly', () => {
      expect(model.generate(expected.prompts, { maxLength: expected.max_length })).toEqual(expected.outputs);
    });

    test('one prompt at a time gives the same texts', () => {
      expected.prompts.forEach((prompt, index) => expect(model.generate(prompt, { maxLength: expected.max_length })).toBe(expected.outputs[index]));
    });
  });
}

describeBackends('embedded tinycode-gemma2-6m', () => {
  let model: GemmaCausalLM;
  beforeAll(async () => {
    model = await GemmaCausalLM.fromPreset();
  });
  afterAll(() => model?.backbone.dispose());

  test('greedy continuations equal transformers for every prompt', () => {
    for (const prompt of demo.prompts) {
      expect(model.preprocessor!.tokenizer.tokenize(prompt.prompt)).toEqual(prompt.prompt_ids.slice(1));
      const length = prompt.transformers_greedy_ids.length;
      const packed = {
        tokenIds: [[...prompt.prompt_ids, ...new Array(length - prompt.prompt_ids.length).fill(0)]],
        paddingMask: [prompt.prompt_ids.map(() => 1).concat(new Array(length - prompt.prompt_ids.length).fill(0))],
      };
      const output = model.generate(packed, { stopTokenIds: null });
      expect(output.tokenIds[0], prompt.prompt).toEqual(prompt.transformers_greedy_ids);
    }
  });

  test("KerasHub's generate texts are reproduced", () => {
    for (const prompt of demo.prompts)
      expect(model.generate(prompt.prompt, { maxLength: prompt.transformers_greedy_ids.length }), prompt.prompt).toBe(prompt.keras_hub_generate);
  });

  test('mean NLL over the 512-token held-out slice within 1e-3 of the reference', () => {
    const ids = demo.held_out_first512.token_ids;
    const loss = model.score([ids.slice(0, -1)], { scoringMode: 'loss', targetIds: [ids.slice(1)] });
    const values = loss.dataSync();
    loss.dispose();
    const mean = Array.from(values).reduce((total, value) => total + value, 0) / values.length;
    expect(values.length).toBe(512);
    expect(Math.abs(mean - demo.held_out_first512.mean_nll)).toBeLessThan(1e-3);
  });

  test('cached step-by-step logits equal one full forward pass', () => {
    const ids = demo.prompts[0]!.transformers_greedy_ids.slice(0, 24);
    const backbone = model.backbone;
    const full = tz.tidy(() => backbone.logits(backbone.call({ tokenIds: [ids] })));
    const fullValues = full.dataSync();
    full.dispose();
    const vocabulary = backbone.config.vocabularySize;
    let cache = backbone.emptyCache(1, ids.length);
    let worst = 0;
    // Prefill 5 tokens, then one token per step.
    let position = 0;
    for (const chunk of [5, ...new Array(ids.length - 5).fill(1)] as number[]) {
      const { hiddenStates, cache: next } = backbone.callWithCache([ids.slice(position, position + chunk)], cache, position);
      cache.forEach((tensor) => tensor.dispose());
      cache = next;
      const logits = tz.tidy(() => backbone.logits(hiddenStates));
      const values = logits.dataSync();
      for (let offset = 0; offset < chunk; offset++)
        for (let token = 0; token < vocabulary; token++)
          worst = Math.max(worst, Math.abs(values[offset * vocabulary + token]! - fullValues[(position + offset) * vocabulary + token]!));
      logits.dispose();
      hiddenStates.dispose();
      position += chunk;
    }
    cache.forEach((tensor) => tensor.dispose());
    expect(worst).toBeLessThan(1e-4);
  });

  test('streaming callback sees every generated token in order; stop tokens end generation', () => {
    const seen: number[] = [];
    const result = model.generate(
      { tokenIds: [[2, 416, 418, 758, 0, 0, 0, 0, 0, 0]], paddingMask: [[1, 1, 1, 1, 0, 0, 0, 0, 0, 0]] },
      { stopTokenIds: null, onToken: ({ tokenId, position }) => seen.push(tokenId, position) },
    );
    expect(seen.filter((_, index) => index % 2 === 1)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(seen.filter((_, index) => index % 2 === 0)).toEqual(result.tokenIds[0]!.slice(4));
    const firstGenerated = result.tokenIds[0]![4]!;
    const stopped = model.generate(
      { tokenIds: [[2, 416, 418, 758, 0, 0, 0, 0, 0, 0]], paddingMask: [[1, 1, 1, 1, 0, 0, 0, 0, 0, 0]] },
      { stopTokenIds: [firstGenerated] },
    );
    expect(stopped.paddingMask[0]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  test('seeded samplers are reproducible and differ from greedy', () => {
    const prompt = 'import ';
    for (const sampler of [{ name: 'top_k', k: 5, seed: 7 }, { name: 'top_p', p: 0.9, seed: 7 }, { name: 'random', temperature: 1.2, seed: 7 }] as const) {
      const first = model.generate(prompt, { maxLength: 24, sampler });
      const second = model.generate(prompt, { maxLength: 24, sampler });
      expect(first, sampler.name).toBe(second);
      expect(first.startsWith(prompt)).toBe(true);
    }
  });

  test('bad inputs give clear errors', () => {
    expect(() => model.generate('x', { maxLength: 1 })).toThrow(/maxLength/);
    expect(() => model.generate('x', { sampler: 'Greedy' as never })).toThrow(/lower-case/);
    expect(() => model.score([[1, 2]], { scoringMode: 'loss' })).toThrow(/targetIds/);
    expect(() => model.backbone.call({ tokenIds: [[1, 99999]] })).toThrow(/ids in \[0, 2047\]/);
  });
});
