// The serving page's examples (docs/serving.md) run here: the openai-client example against a
// server started in-process, and the curl script (which starts `tensorzoo serve` itself).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { selectBackend } from '../../../packages/cli/src/backend-choice.js';
import { loadServedModel } from '../../../packages/cli/src/server/model.js';
import { startServer, type RunningServer } from '../../../packages/cli/src/server/server.js';
import type { ServedModel } from '../../../packages/cli/src/server/completion.js';

const app = fileURLToPath(new URL('..', import.meta.url));
const repository = join(app, '../..');
let model: ServedModel;
let server: RunningServer;

beforeAll(async () => {
  await selectBackend('serve', 'wasm', undefined);
  model = await loadServedModel();
  server = await startServer(model, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  model?.engine.close();
});

test('serve-client.ts (the openai client)', async () => {
  const { openaiClientExample } = await import('../examples/serve-client.js');
  const { chat, streamed } = await openaiClientExample(`${server.url}/v1`);
  expect(chat.choices[0]!.message.content!.length).toBeGreaterThan(0);
  expect(chat.usage!.completion_tokens).toBeGreaterThan(0);
  expect(streamed.length).toBeGreaterThan(0);
  expect(streamed).not.toContain('\n\n');
});

test('serve.sh (curl)', () => {
  const path = `${join(repository, 'node_modules/.bin')}:${process.env.PATH}`;
  const result = spawnSync('bash', [join(app, 'examples/serve.sh')], { cwd: repository, env: { ...process.env, PATH: path }, encoding: 'utf8', timeout: 120_000 });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout).toContain('"status":"ok"');
  expect(result.stdout).toContain('"object":"chat.completion"');
  expect(result.stdout).toContain('data: [DONE]');
  expect(result.stdout).toContain('"usage":{"prompt_tokens"');
});
