// Load test of `tensorzoo serve`, bounded in time and only against 127.0.0.1: 32 concurrent
// streaming clients (chat and completions, greedy and seeded sampling, mixed lengths) keep the
// demo model busy for TENSORZOO_SERVE_LOAD_SECONDS (default 20) seconds. Every stream must end
// with a finish_reason and no error; afterwards the engine is idle and the tensor count, the
// backend's buffers and the JavaScript heap are back at their baseline.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import OpenAI from 'openai';
import { expect, test } from 'vitest';
import { memory } from '@tensorzoo/core';
import { selectBackend } from '../src/backend-choice.js';
import { loadServedModel } from '../src/server/model.js';
import { startServer } from '../src/server/server.js';

const seconds = Number(process.env.TENSORZOO_SERVE_LOAD_SECONDS ?? 20);
const clients = 32;
const prompts = ['import numpy as np\n', 'def main():\n    ', '# Copyright', 'class Parser:\n', 'for index in range(', 'from typing import'];

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test(`${clients} concurrent streaming clients for ${seconds} s: every stream completes, memory returns to baseline`, { timeout: (seconds + 120) * 1000 }, async () => {
  await selectBackend('serve', 'wasm', undefined);
  const model = await loadServedModel();
  const server = await startServer(model, { host: '127.0.0.1', port: 0 });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'local', maxRetries: 0, timeout: 60_000 });
  try {
    // Warm up (wasm tier-up, first allocations) before the baseline.
    await client.completions.create({ model: model.id, prompt: prompts[0]!, max_tokens: 4, temperature: 0 });
    collectGarbage();
    const baseline = { ...memory(), heap: process.memoryUsage().heapUsed };
    const deadline = Date.now() + seconds * 1000;
    let completed = 0;
    let tokens = 0;
    const failures: string[] = [];
    const worker = async (clientIndex: number) => {
      for (let round = 0; Date.now() < deadline; round++) {
        const prompt = prompts[(clientIndex + round) % prompts.length]!;
        const maxTokens = 8 + ((clientIndex * 7 + round * 13) % 40);
        const sampling = round % 2 === 0 ? { temperature: 0 } : { temperature: 0.8, top_p: 0.95, seed: clientIndex * 1000 + round };
        let finish: string | null = null;
        try {
          if (clientIndex % 2 === 0) {
            const stream = await client.chat.completions.create({ model: model.id, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, stream: true, ...sampling });
            for await (const chunk of stream) {
              tokens += chunk.choices[0]?.delta.content ? 1 : 0;
              finish = chunk.choices[0]?.finish_reason ?? finish;
            }
          } else {
            const stream = await client.completions.create({ model: model.id, prompt, max_tokens: maxTokens, stream: true, ...sampling });
            for await (const chunk of stream) {
              tokens += chunk.choices[0]?.text ? 1 : 0;
              finish = chunk.choices[0]?.finish_reason ?? finish;
            }
          }
          if (finish !== 'stop' && finish !== 'length') failures.push(`client ${clientIndex} round ${round}: finish_reason ${finish}`);
          else completed++;
        } catch (error) {
          failures.push(`client ${clientIndex} round ${round}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, index) => worker(index)));
    expect(failures).toEqual([]);
    expect(completed).toBeGreaterThanOrEqual(clients);
    expect(model.engine.stats.largestBatch).toBeGreaterThan(1);
    const stats = model.engine.stats;
    expect(stats.running + stats.queued + stats.prefilling).toBe(0);
    collectGarbage();
    const after = { ...memory(), heap: process.memoryUsage().heapUsed };
    expect(after.numTensors).toBe(baseline.numTensors);
    expect(after.numDataIds).toBe(baseline.numDataIds);
    // The heap may hold a few lazily grown caches (tokenizer, compiled code), nothing per request.
    expect(after.heap - baseline.heap).toBeLessThan(16 * 1024 * 1024);
    process.stderr.write(
      `serve load: ${completed} streams, ${tokens} text chunks in ${seconds} s; ${stats.decodeSteps} decode steps, mean batch ${(stats.decodedRows / stats.decodeSteps).toFixed(1)}, largest ${stats.largestBatch}; heap ${((after.heap - baseline.heap) / 1e6).toFixed(1)} MB over baseline\n`,
    );
  } finally {
    await server.close();
    model.engine.close();
  }
});
