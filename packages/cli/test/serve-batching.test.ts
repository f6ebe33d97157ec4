// The continuous-batching engine on the embedded demo model (wasm backend): a sequence alone gives
// exactly GemmaCausalLM.generate's greedy tokens; sequences that share decode steps (joining and
// leaving between steps, prompts of different lengths, chunked prefill) give their solo tokens;
// cancelling stops the work; nothing stays allocated afterwards.
import { beforeAll, describe, expect, test } from 'vitest';
import { memory, setBackend } from '@tensorzoo/core';
import { ContinuousBatchingEngine, GemmaCausalLM, QueueFullError, type SequenceRequest } from '@tensorzoo/models';

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

  test('a long prompt is prefilled in chunks between decode steps; a cancelled sequence leaves at once', async () => {
    const before = memory();
    const engine = new ContinuousBatchingEngine(model.backbone, { prefillChunk: 16 });
    const whole = new ContinuousBatchingEngine(model.backbone, { prefillChunk: 512 });
    const longPrompt = promptIds('import os\nimport sys\n'.repeat(12));
    expect(longPrompt.length).toBeGreaterThan(5 * 16);
    const events: string[] = [];
    const running = engine.submit({ promptIds: promptIds(prompts[0]!), maxNewTokens: 40, onToken: () => void events.push('running') });
    while (!events.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const long = engine.submit({ promptIds: longPrompt, maxNewTokens: 4, onToken: () => void events.push('long') });
    const [longResult] = await Promise.all([long.done, running.done]);
    // Every chunk of the long prompt was followed by a decode step of the running stream.
    const chunks = Math.ceil(longPrompt.length / 16);
    const beforeFirstLong = events.indexOf('long');
    expect(beforeFirstLong).toBeGreaterThanOrEqual(chunks);
    // Chunked prefill gives the tokens of a prefill in one piece.
    expect(longResult.tokenIds).toEqual((await whole.submit({ promptIds: longPrompt, maxNewTokens: 4 }).done).tokenIds);
    // Cancelling: the sequence stops between steps, others go on.
    let cancelledTokens = 0;
    const cancelled = engine.submit({ promptIds: promptIds(prompts[1]!), maxNewTokens: 200, onToken: () => void cancelledTokens++ });
    const other = engine.submit({ promptIds: promptIds(prompts[2]!), maxNewTokens: 30 });
    while (cancelledTokens < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    cancelled.cancel();
    const cancelledResult = await cancelled.done;
    expect(cancelledResult.finishReason).toBe('cancelled');
    expect(cancelledResult.completionTokens).toBeLessThan(10);
    expect((await other.done).finishReason).toBe('length');
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataIds).toBe(before.numDataIds);
  });

  test('bad submissions are refused before anything is queued; a full queue throws QueueFullError', () => {
    const engine = new ContinuousBatchingEngine(model.backbone, { maxBatchSize: 1, maxQueue: 1, contextLength: 32 });
    expect(() => engine.submit({ promptIds: [], maxNewTokens: 1 })).toThrow(/promptIds/);
    expect(() => engine.submit({ promptIds: [2, 99999], maxNewTokens: 1 })).toThrow(/ids in \[0, 2047\]/);
    expect(() => engine.submit({ promptIds: new Array(32).fill(5), maxNewTokens: 1 })).toThrow(/fewer than 32 tokens/);
    expect(() => engine.submit({ promptIds: [2], maxNewTokens: 0 })).toThrow(/maxNewTokens/);
    const first = engine.submit({ promptIds: [2, 5], maxNewTokens: 2 });
    const second = engine.submit({ promptIds: [2, 5], maxNewTokens: 2 });
    expect(() => engine.submit({ promptIds: [2, 5], maxNewTokens: 2 })).toThrow(QueueFullError);
    engine.close();
    return Promise.all([first.done, second.done]).then((results) => expect(results.map((result) => result.finishReason)).toEqual(['cancelled', 'cancelled']));
  });
});
