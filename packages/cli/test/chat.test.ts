// `tensorzoo chat`: the command over piped input (greedy answers equal the server's chat answers
// for the same history), /reset, and Ctrl-C (interrupt) stopping an answer but not the session.
import { PassThrough } from 'node:stream';
import { beforeAll, expect, test } from 'vitest';
import { main } from '@tensorzoo/cli';
import { selectBackend } from '../src/backend-choice.js';
import { ChatSession } from '../src/server/chat-session.js';
import { prepareCompletion, runCompletion, type ServedModel } from '../src/server/completion.js';
import { loadServedModel } from '../src/server/model.js';

let model: ServedModel;

beforeAll(async () => {
  await selectBackend('chat', 'wasm', undefined);
  model = await loadServedModel({ contextLength: 512 });
});

const sampling = { maxTokens: 12, temperature: 0, topP: null, topK: null, seed: null };

/** What the server answers (greedy) for these messages. */
async function serverAnswer(messages: { role: 'user' | 'assistant'; content: string }[]): Promise<string> {
  const prepared = prepareCompletion(model, { messages }, { ...sampling, stop: [], stream: false, includeUsage: false });
  return (await runCompletion(model, prepared, () => {}).done).text;
}

test('tensorzoo chat answers each line over the running history; /reset starts over', async () => {
  const first = await serverAnswer([{ role: 'user', content: 'def add(a, b):' }]);
  const second = await serverAnswer([
    { role: 'user', content: 'def add(a, b):' },
    { role: 'assistant', content: first },
    { role: 'user', content: 'now subtract' },
  ]);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  stdout.on('data', (chunk) => (out += chunk));
  stdin.end('def add(a, b):\nnow subtract\n/reset\ndef add(a, b):\n/exit\n');
  const code = await main(['chat', '--temperature', '0', '--max-tokens', '12', '--context-length', '512'], { stdout, stderr, stdin } as never);
  expect(code).toBe(0);
  expect(out).toBe(`${first}\n${second}\n(history cleared)\n${first}\n`);
});

test('interrupt (Ctrl-C) stops the current answer and the session goes on', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (chunk) => (out += chunk));
  const session = new ChatSession(model, input, output, { sampling: { ...sampling, maxTokens: 400 } });
  input.write('class Parser:\n');
  for (let attempt = 0; attempt < 400 && out.length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  session.interrupt();
  for (let attempt = 0; attempt < 400 && !out.includes('(stopped)'); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(out).toMatch(/ \(stopped\)\n$/);
  expect(session.history.map((message) => message.role)).toEqual(['user', 'assistant']);
  expect(model.engine.stats.running).toBe(0);
  input.end('/reset\n');
  await session.finished;
  expect(session.history).toEqual([]);
});
