// GemmaBackbone against the numbers KerasHub 0.32 and transformers 5.17 computed on the same
// checkpoints (test/fixtures, copied from the project's shared fixtures): hidden states and
// logits within 1e-4 on every unpadded position, parameter counts, the weight inventory, and the
// 8-step greedy continuation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaBackbone } from '@tensorzoo/models';
import { describeBackends, fixturesDirectory, maxDifference, type JsonArray } from '../backends.js';

const tolerance = 1e-4;

interface KerasReference {
  config: Record<string, unknown>;
  inputs: { token_ids: JsonArray; padding_mask: JsonArray };
  sequence_output: JsonArray;
  logits: JsonArray;
  num_params: number;
  weights: { path: string; shape: number[] }[];
  greedy: { prompt_ids: number[]; output_ids: number[] };
}

interface TransformersReference {
  inputs: { token_ids?: JsonArray; padding_mask?: JsonArray; input_ids?: JsonArray; attention_mask?: JsonArray };
  last_hidden_state: JsonArray;
  logits: JsonArray;
  keras_hub_sequence_output: JsonArray;
}

function reference<T>(name: string): T {
  return JSON.parse(readFileSync(join(fixturesDirectory, `${name}.reference.json`), 'utf8')) as T;
}

/** Compares [B, T, X] outputs on positions whose padding mask is 1. */
function expectCloseOnMask(actual: ArrayLike<number>, expected: JsonArray, mask: JsonArray, label: string): void {
  const perPosition = expected.shape[expected.shape.length - 1]!;
  expect(actual.length, `${label} size`).toBe(expected.data.length);
  const difference = maxDifference(actual, expected.data, (index) => mask.data[Math.floor(index / perPosition)] === 1);
  expect(difference, `${label}: max |difference| on unpadded positions`).toBeLessThan(tolerance);
}

function inputsOf(inputs: KerasReference['inputs']) {
  return {
    tokenIds: tz.tensor(Int32Array.from(inputs.token_ids.data), inputs.token_ids.shape, 'int32'),
    paddingMask: tz.tensor(Int32Array.from(inputs.padding_mask.data), inputs.padding_mask.shape, 'int32'),
  };
}

/** Greedy decoding by re-running the whole sequence, as the fixture's `greedy` was computed. */
function greedyByRerun(backbone: GemmaBackbone, prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  for (let step = 0; step < steps; step++) {
    const next = tz.tidy(() => {
      const logits = backbone.logits(backbone.call({ tokenIds: tz.tensor([ids], undefined, 'int32') }));
      const last = tz.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]);
      return tz.argmax(tz.reshape(last, [-1])).dataSync()[0]!;
    });
    ids.push(next as number);
  }
  return ids;
}

for (const name of ['keras_gemma_tiny', 'keras_gemma2_tiny', 'keras_gemma2_tiny_bf16_sharded']) {
  describeBackends(`GemmaBackbone ${name}`, () => {
    const expected = reference<KerasReference>(name);
    let backbone: GemmaBackbone;
    beforeAll(async () => {
      backbone = await GemmaBackbone.fromPreset(join(fixturesDirectory, name));
    });
    afterAll(() => backbone?.dispose());

    test('parameter count and weight inventory equal KerasHub', () => {
      expect(backbone.countParams()).toBe(expected.num_params);
      expect(backbone.weights.map((variable) => ({ path: variable.path, shape: [...variable.shape] }))).toEqual(expected.weights);
    });

    test('sequence output and logits within 1e-4 on unpadded positions', () => {
      const before = tz.memory().numTensors;
      const { hidden, logits } = tz.tidy(() => {
        const inputs = inputsOf(expected.inputs);
        const hiddenStates = backbone.call(inputs);
        return { hidden: hiddenStates, logits: backbone.logits(hiddenStates) };
      });
      expectCloseOnMask(hidden.dataSync(), expected.sequence_output, expected.inputs.padding_mask, 'sequence_output');
      expectCloseOnMask(logits.dataSync(), expected.logits, expected.inputs.padding_mask, 'logits');
      hidden.dispose();
      logits.dispose();
      expect(tz.memory().numTensors).toBe(before);
    });

    test('8 greedy steps equal the fixture', () => {
      const steps = expected.greedy.output_ids.length - expected.greedy.prompt_ids.length;
      expect(greedyByRerun(backbone, expected.greedy.prompt_ids, steps)).toEqual(expected.greedy.output_ids);
    });
  });
}

for (const name of ['hf_gemma_native', 'hf_gemma2_native', 'hf_gemma_native_bf16_sharded']) {
  describeBackends(`GemmaBackbone from Hugging Face ${name}`, () => {
    const expected = reference<TransformersReference>(name);
    let backbone: GemmaBackbone;
    beforeAll(async () => {
      backbone = await GemmaBackbone.fromPreset(join(fixturesDirectory, name));
    });
    afterAll(() => backbone?.dispose());

    test('hidden states and logits match transformers and KerasHub within 1e-4', () => {
      const tokenIds = expected.inputs.token_ids ?? expected.inputs.input_ids!;
      const mask = expected.inputs.padding_mask ?? expected.inputs.attention_mask!;
      const { hidden, logits } = tz.tidy(() => {
        const hiddenStates = backbone.call({
          tokenIds: tz.tensor(Int32Array.from(tokenIds.data), tokenIds.shape, 'int32'),
          paddingMask: tz.tensor(Int32Array.from(mask.data), mask.shape, 'int32'),
        });
        return { hidden: hiddenStates, logits: backbone.logits(hiddenStates) };
      });
      const hiddenValues = hidden.dataSync();
      expectCloseOnMask(hiddenValues, expected.last_hidden_state, mask, 'transformers last_hidden_state');
      expectCloseOnMask(hiddenValues, expected.keras_hub_sequence_output, mask, 'KerasHub sequence_output');
      expectCloseOnMask(logits.dataSync(), expected.logits, mask, 'transformers logits');
      hidden.dispose();
      logits.dispose();
    });
  });
}
