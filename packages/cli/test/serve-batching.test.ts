// The continuous-batching engine on the embedded demo model (wasm backend): a sequence alone gives
// exactly GemmaCausalLM.generate's greedy tokens; sequences that share decode steps (joining and
// leaving between steps, prompts of different lengths, chunked prefill) give their solo tokens;
// cancelling stops the work; nothing stays allocated afterwards.
import { beforeAll, describe, expect, test } from 'vitest';
import { memory, setBackend } from '@tensorzoo/core';
import { ContinuousBatchingEngine, GemmaCausalLM, type SequenceRequest } from '@tensorzoo/models';

let model: GemmaCausalLM;

beforeAll(async () => {
  await import('@tensorzoo/core/backends/wasm');
  await setBackend('wasm');
  model = await GemmaCausalLM.fromPreset();
});

function promptIds(text: string): number[] {
  const tokenizer = model.preprocessor!.tokenizer;
  return [tokenizer.startTokenId, ...(tokenizer.tokenize(text) as number[])];
}

/** generate's greedy new ids for a prompt (maxLength counts the prompt), stop token excluded. */
function generateIds(text: string, newTokens: number): number[] {
  const ids: number[] = [];
  const eos = model.preprocessor!.tokenizer.endTokenId;
  model.generate(text, { maxLength: promptIds(text).length + newTokens, onToken: ({ tokenId }) => void (tokenId !== eos && ids.push(tokenId)) });
  return ids;
}

const prompts = ['import numpy as np\n', 'def fibonacci(n):\n    ', '# Licensed under the Apache License', 'class Matrix:\n    def __init__(self, rows, cols):\n        self.rows = rows\n'];

describe('ContinuousBatchingEngine', () => {
  test('one sequence alone gives generate\'s greedy tokens; several together give their solo tokens', async () => {
    const before = memory();
    const engine = new ContinuousBatchingEngine(model.backbone, { prefillChunk: 64 });
    const eos = model.preprocessor!.tokenizer.endTokenId;
    const run = (text: string, maxNewTokens: number) =>
      engine.submit({ promptIds: promptIds(text), maxNewTokens, stopTokenIds: [eos] } satisfies SequenceRequest).done;
    const solo: Awaited<ReturnType<typeof run>>[] = [];
    for (const prompt of prompts) solo.push(await run(prompt, 24));
    prompts.forEach((prompt, index) => {
      const tokens = solo[index]!.tokenIds.filter((id) => id !== eos);
      expect(tokens, prompt).toEqual(generateIds(prompt, 24).slice(0, tokens.length));
    });
    // All at once, with staggered lengths so that rows leave while others continue.
    const together = await Promise.all(prompts.map((prompt, index) => run(prompt, 24 - 4 * index)));
    together.forEach((result, index) => expect(result.tokenIds, prompts[index]).toEqual(solo[index]!.tokenIds.slice(0, 24 - 4 * index)));
    expect(engine.stats.largestBatch).toBeGreaterThan(1);
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataIds).toBe(before.numDataIds);
  });
});
