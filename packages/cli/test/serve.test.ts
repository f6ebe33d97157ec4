// `tensorzoo serve` end to end through the official `openai` client (pinned in package.json):
// completions and chat, streaming and not, greedy output equal to `tensorzoo generate`, stop
// strings, seeds, every error case (with raw HTTP where the client cannot send the bad request),
// the API key, CORS, the loopback Host check, and client disconnects stopping the work.
import { request as httpRequest } from 'node:http';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { memory } from '@tensorzoo/core';
import { main } from '@tensorzoo/cli';
import { ContinuousBatchingEngine } from '@tensorzoo/models';
import { selectBackend } from '../src/backend-choice.js';
import { gemmaChatPrompt } from '@tensorzoo/models';
import type { ServedModel } from '../src/server/completion.js';
import { loadServedModel } from '../src/server/model.js';
import { startServer, type RunningServer } from '../src/server/server.js';

let model: ServedModel;
let server: RunningServer;
let client: OpenAI;
let baseline: { numTensors: number; numDataIds: number };
const id = 'tinycode-gemma2-6m';

beforeAll(async () => {
  await selectBackend('serve', 'wasm', undefined);
  model = await loadServedModel();
  baseline = memory();
  server = await startServer(model, { port: 0 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  model?.engine.close();
});

async function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk));
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

/** A raw request (for bodies the client would not send); resolves with status, headers and body text. */
function raw(url: string, options: { method?: string; path: string; body?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${options.path}`, { method: options.method ?? 'POST', headers: { 'content-type': 'application/json', ...options.headers } }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

async function expectApiError(promise: Promise<unknown>, status: number, param: string | null, ...fragments: string[]): Promise<void> {
  const error = (await promise.then(() => null, (caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError> | null;
  expect(error, 'expected an error').toBeInstanceOf(OpenAI.APIError);
  expect(error!.status).toBe(status);
  if (param !== null) expect(error!.param).toBe(param);
  for (const fragment of fragments) expect(error!.message).toContain(fragment);
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const prompt = 'import numpy as np\n';

describe('tensorzoo serve (openai client)', () => {
  test('GET /v1/models and /health', async () => {
    const list = await client.models.list();
    expect(list.data.map((entry) => entry.id)).toEqual([id]);
    expect((await client.models.retrieve(id)).owned_by).toBe('tensorzoo');
    const health = await raw(server.url, { method: 'GET', path: '/health' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', model: id });
  });

  test('greedy completion equals tensorzoo generate, streaming or not', async () => {
    const maxLength = 40;
    const generated = await runCli('generate', '--max-length', String(maxLength), prompt);
    expect(generated.code, generated.stderr).toBe(0);
    const promptTokens = 1 + (model.lm.preprocessor!.tokenizer.tokenize(prompt) as number[]).length;
    const completion = await client.completions.create({ model: id, prompt, max_tokens: maxLength - promptTokens, temperature: 0 });
    expect(`${prompt}${completion.choices[0]!.text}\n`).toBe(generated.stdout);
    expect(completion.object).toBe('text_completion');
    expect(completion.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: maxLength - promptTokens, total_tokens: maxLength });
    expect(completion.choices[0]!.finish_reason).toBe('length');
    const stream = await client.completions.create({ model: id, prompt, max_tokens: maxLength - promptTokens, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.text;
        finish = choice.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(completion.choices[0]!.text);
    expect(finish).toBe('length');
    expect(usage).toEqual(completion.usage);
  });

  test('chat: Gemma template, streaming equals non-streaming, system folded into the first turn', async () => {
    const messages = [
      { role: 'system' as const, content: 'You write Python.' },
      { role: 'user' as const, content: 'A function that adds two numbers' },
    ];
    const answer = await client.chat.completions.create({ model: id, messages, max_tokens: 20, temperature: 0 });
    const templated = gemmaChatPrompt(messages);
    expect(templated).toBe('<start_of_turn>user\nYou write Python.\n\nA function that adds two numbers<end_of_turn>\n<start_of_turn>model\n');
    const promptTokens = 1 + (model.lm.preprocessor!.tokenizer.tokenize(templated) as number[]).length;
    expect(answer.usage!.prompt_tokens).toBe(promptTokens);
    expect(answer.choices[0]!.message.role).toBe('assistant');
    expect(['stop', 'length']).toContain(answer.choices[0]!.finish_reason);
    const stream = await client.chat.completions.create({ model: id, messages, max_tokens: 20, temperature: 0, stream: true });
    let text = '';
    let role: string | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const choice of chunk.choices) {
        role ??= choice.delta.role;
        text += choice.delta.content ?? '';
        finish = choice.finish_reason ?? finish;
      }
    }
    expect(role).toBe('assistant');
    expect(text).toBe(answer.choices[0]!.message.content);
    expect(finish).toBe(answer.choices[0]!.finish_reason);
  });

  test('stop strings cut the text before the match with finish_reason stop; seeds reproduce samples', async () => {
    const full = (await client.completions.create({ model: id, prompt, max_tokens: 30, temperature: 0 })).choices[0]!.text;
    const stop = full.slice(10, 13);
    const cut = await client.completions.create({ model: id, prompt, max_tokens: 30, temperature: 0, stop: [stop] });
    expect(cut.choices[0]!.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(cut.choices[0]!.finish_reason).toBe('stop');
    const sample = () => client.completions.create({ model: id, prompt, max_tokens: 12, temperature: 0.9, top_p: 0.95, seed: 7, top_k: 40 } as OpenAI.CompletionCreateParamsNonStreaming);
    expect((await sample()).choices[0]!.text).toBe((await sample()).choices[0]!.text);
  });

  test('every error case is an OpenAI error object with the right status', async () => {
    const malformed = await raw(server.url, { path: '/v1/chat/completions', body: '{"model": ' });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    await expectApiError(client.completions.create({ model: id, prompt, temperature: 'hot' as unknown as number }), 400, 'temperature', "'temperature' expected a number in [0, 2]", '"hot"');
    await expectApiError(client.chat.completions.create({ model: id, messages: 'hi' as never }), 400, 'messages', 'non-empty array');
    await expectApiError(client.chat.completions.create({ model: id, messages: [{ role: 'tool', content: 'x' } as never] }), 400, 'messages[0].role');
    await expectApiError(client.chat.completions.create({ model: id, messages: [{ role: 'assistant', content: 'x' }] }), 400, 'messages[0].role', "'user'");
    await expectApiError(client.completions.create({ model: id, prompt, max_tokens: 0 }), 400, 'max_tokens', 'an integer ≥ 1', '0');
    await expectApiError(client.completions.create({ model: id, prompt, n: 2 }), 400, 'n', '1 (one choice per request)', '2');
    await expectApiError(client.completions.create({ model: id, prompt, stop: 5 as never }), 400, 'stop');
    await expectApiError(client.completions.create({ model: 'gpt-4o', prompt }), 404, 'model', 'gpt-4o', id);
    const context = model.engine.contextLength;
    await expectApiError(client.completions.create({ model: id, prompt: 'x = 1\n'.repeat(context) }), 400, 'prompt', `maximum context length is ${context} tokens`);
    await expectApiError(client.completions.create({ model: id, prompt, max_tokens: context }), 400, 'max_tokens', `maximum context length is ${context} tokens`, `${context} in the completion`);
    const huge = await raw(server.url, { path: '/v1/completions', body: JSON.stringify({ model: id, prompt: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('request_too_large');
    // Without a Content-Length (chunked), the count stops the body at 1 MB all the same.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      request.write(`{"model": "${id}", "prompt": "`);
      for (let index = 0; index < 20; index++) request.write('x'.repeat(64 * 1024));
      request.end('"}');
    });
    expect(chunked.status).toBe(413);
    const unknownRoute = await raw(server.url, { method: 'GET', path: '/v1/embeddings' });
    expect(unknownRoute.status).toBe(404);
    const rebound = await raw(server.url, { method: 'GET', path: '/v1/models', headers: { host: 'attacker.example:8080' } });
    expect(rebound.status).toBe(403);
    // Without --cors no CORS header is sent.
    expect((await raw(server.url, { method: 'GET', path: '/v1/models', headers: { origin: 'https://example.com' } })).headers['access-control-allow-origin']).toBeUndefined();
  });

  test('a bad request during a stream does not disturb it; a client that disconnects stops its work', async () => {
    // (The generate test above loaded a second model in-process, as the CLI does: count from here.)
    baseline = memory();
    const solo = (await client.completions.create({ model: id, prompt, max_tokens: 24, temperature: 0 })).choices[0]!.text;
    const stream = await client.completions.create({ model: id, prompt, max_tokens: 24, temperature: 0, stream: true });
    let text = '';
    let first = true;
    for await (const chunk of stream) {
      if (first) {
        first = false;
        expect((await raw(server.url, { path: '/v1/completions', body: '[1, 2' })).status).toBe(400);
        await expectApiError(client.completions.create({ model: id, prompt, top_p: 3 }), 400, 'top_p');
      }
      text += chunk.choices[0]?.text ?? '';
    }
    expect(text).toBe(solo);
    const long = await client.completions.create({ model: id, prompt, max_tokens: 500, temperature: 0, stream: true });
    let received = 0;
    for await (const chunk of long) {
      received += chunk.choices.length;
      if (received === 3) long.controller.abort();
    }
    await waitFor(() => model.engine.stats.running === 0 && model.engine.stats.queued === 0, 'the cancelled sequence to leave');
    const steps = model.engine.stats.decodeSteps;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(model.engine.stats.decodeSteps).toBe(steps);
    expect(memory().numTensors).toBe(baseline.numTensors);
    expect(memory().numDataIds).toBe(baseline.numDataIds);
  });

  test('a full queue answers 429 with Retry-After; --api-key and --cors', async () => {
    const small: ServedModel = { ...model, engine: new ContinuousBatchingEngine(model.lm.backbone, { maxBatchSize: 1, maxQueue: 0, contextLength: 256 }) };
    const guarded = await startServer(small, { port: 0, apiKey: 'sesame', corsOrigin: 'https://app.example' });
    try {
      const keyed = new OpenAI({ baseURL: `${guarded.url}/v1`, apiKey: 'sesame', maxRetries: 0 });
      await expectApiError(new OpenAI({ baseURL: `${guarded.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list(), 401, null, 'API key');
      expect((await raw(guarded.url, { method: 'GET', path: '/v1/models' })).status).toBe(401);
      expect((await keyed.models.list()).data[0]!.id).toBe(id);
      const busy = await keyed.completions.create({ model: id, prompt, max_tokens: 200, temperature: 0, stream: true });
      const iterator = busy[Symbol.asyncIterator]();
      await iterator.next();
      const refused = await raw(guarded.url, { path: '/v1/completions', body: JSON.stringify({ model: id, prompt }), headers: { authorization: 'Bearer sesame' } });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(JSON.parse(refused.body).error.code).toBe('queue_full');
      busy.controller.abort();
      await waitFor(() => small.engine.stats.running === 0, 'the aborted stream to leave');
      const preflight = await raw(guarded.url, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { origin: 'https://app.example' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    } finally {
      await guarded.close();
      small.engine.close();
    }
  });
});
