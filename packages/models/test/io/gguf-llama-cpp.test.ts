// llama.cpp itself (node-llama-cpp 3.21.1, its prebuilt CPU binary) runs our GGUF export of the
// embedded demo model (tinycode-gemma2-6m): its tokenizer gives the reference prompt ids, its
// next-token distributions match ours at every prompt position, and its greedy continuations equal
// transformers' (the fixture's reference ids). node-llama-cpp exposes probabilities, not raw
// logits, so the comparison is on log-probabilities (logits up to a per-position constant).
//
// Measured on this machine (f32 GGUF of the bf16 weights, the 6 reference prompts, every position,
// 1 thread, flash attention off): max |Δ log p| over tokens with p ≥ 1e-4 is 4.1e-3 with an F32
// key/value cache (5.5e-3 with llama.cpp's default F16 cache), max |Δ p| 3.5e-4 (4.6e-4). Where
// llama.cpp's CPU path loses the precision was not isolated (ggml evaluates GELU from an f16 table,
// for one). The test allows 1e-2 and 1e-3. The Q8_0 GGUF (its quantization error included):
// 0.29 and 0.022, allowed 0.5 and 0.05. Greedy: f32 reproduces transformers' 32 reference ids on
// all 6 prompts; Q8_0 is checked on the first new token (at least 5 of 6 prompts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tz from '@tensorzoo/core';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';

import { GemmaBackbone } from '../../src/gemma/index.js';
import { exportPreset } from '../../src/presets/export-preset.js';

const embedded = new URL('../../../../models/tinycode-gemma2-6m', import.meta.url).pathname;
const reference = JSON.parse(await readFile(new URL('../fixtures/tinycode-gemma2-6m.reference.json', import.meta.url), 'utf8')) as {
  prompts: { prompt: string; prompt_ids: number[]; transformers_greedy_ids: number[] }[];
};

let folder = '';
let llama: Llama;
const models = new Map<string, LlamaModel>();
let ours: GemmaBackbone;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'tz-llama-'));
  for (const type of ['f32', 'q8_0'] as const) await exportPreset(embedded, { format: 'gguf', out: join(folder, `tiny-${type}.gguf`), type });
  // build: 'never' — the prebuilt binary that npm installed, never a source build.
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  for (const type of ['f32', 'q8_0']) models.set(type, await llama.loadModel({ modelPath: join(folder, `tiny-${type}.gguf`) }));
  ours = await GemmaBackbone.fromPreset(embedded);
}, 120_000);

afterAll(async () => {
  ours?.dispose();
  for (const model of models.values()) await model.dispose();
  await llama?.dispose();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** llama.cpp's next-token probabilities after each position of `ids`. */
async function llamaProbabilities(model: LlamaModel, ids: number[], kvCache: 'F16' | 'F32'): Promise<Float64Array[]> {
  const context = await model.createContext({ contextSize: 256, threads: 1, experimentalKvCacheKeyType: kvCache, experimentalKvCacheValueType: kvCache, flashAttention: false });
  try {
    const sequence = context.getSequence();
    const options = { temperature: 1, topK: 0, topP: 1, minP: 0 };
    const output = await sequence.controlledEvaluate(ids.map((id) => [id, { generateNext: { probabilities: true, options } }] as const) as never);
    return output.map((item) => {
      const probabilities = new Float64Array(model.tokens.bos === undefined ? 0 : 2048);
      for (const [token, probability] of (item as { next: { probabilities: Map<number, number> } }).next.probabilities) probabilities[token as number] = probability;
      return probabilities;
    });
  } finally {
    await context.dispose();
  }
}

/** Our log-softmax of the logits at every position of `ids`. */
function ourLogProbabilities(ids: number[]): Float32Array[] {
  const result = tz.tidy(() => tz.logSoftmax(ours.logits(ours.call({ tokenIds: tz.tensor([ids], undefined, 'int32') })), -1));
  const logProbabilities = Float32Array.from(result.dataSync() as Float32Array);
  result.dispose();
  return ids.map((_, position) => logProbabilities.slice(position * 2048, (position + 1) * 2048));
}

describe('llama.cpp on the exported GGUF', () => {
  it('tokenizes prompts exactly as the reference (with <bos>)', () => {
    const model = models.get('f32')!;
    for (const { prompt, prompt_ids } of reference.prompts) {
      expect([model.tokens.bos, ...model.tokenize(prompt, false)]).toEqual(prompt_ids);
    }
  });

  it('gives our next-token distributions at every prompt position (f32)', async () => {
    for (const [type, kvCache] of [['f32', 'F32'], ['f32', 'F16'], ['q8_0', 'F32']] as const) {
    let maxLog = 0;
    let maxProbability = 0;
    for (const { prompt_ids } of reference.prompts) {
      const theirs = await llamaProbabilities(models.get(type)!, prompt_ids, kvCache);
      const mine = ourLogProbabilities(prompt_ids);
      for (let position = 0; position < prompt_ids.length; position++) {
        for (let token = 0; token < 2048; token++) {
          const p = theirs[position]![token]!;
          maxProbability = Math.max(maxProbability, Math.abs(p - Math.exp(mine[position]![token]!)));
          if (p >= 1e-4) maxLog = Math.max(maxLog, Math.abs(Math.log(p) - mine[position]![token]!));
        }
      }
    }
    console.log(`llama.cpp (${type} GGUF, ${kvCache} KV cache) vs tensorzoo: max |Δ log p| (p ≥ 1e-4) = ${maxLog.toExponential(2)}, max |Δ p| = ${maxProbability.toExponential(2)}`);
    // Q8_0 adds its quantization error (measured, not a bound on llama.cpp's arithmetic).
    expect(maxLog).toBeLessThan(type === 'f32' ? 1e-2 : 0.5);
    expect(maxProbability).toBeLessThan(type === 'f32' ? 1e-3 : 0.05);
    }
  }, 120_000);

  it("continues greedily with transformers' reference ids (f32: 32 tokens; q8_0: the first token)", async () => {
    for (const [type, steps] of [['f32', 32], ['q8_0', 1]] as const) {
      const model = models.get(type)!;
      let agreeing = 0;
      for (const { prompt_ids, transformers_greedy_ids } of reference.prompts) {
        const context = await model.createContext({ contextSize: 256, threads: 1 });
        try {
          const sequence = context.getSequence();
          const generated: number[] = [];
          for await (const token of sequence.evaluate(prompt_ids as never, { temperature: 0 })) {
            generated.push(token as number);
            if (generated.length >= steps) break;
          }
          const expected = transformers_greedy_ids.slice(prompt_ids.length, prompt_ids.length + steps);
          if (type === 'f32') expect(generated).toEqual(expected);
          else if (generated[0] === expected[0]) agreeing++;
        } finally {
          await context.dispose();
        }
      }
      if (type === 'q8_0') expect(agreeing).toBeGreaterThanOrEqual(reference.prompts.length - 1);
    }
  }, 120_000);
});
