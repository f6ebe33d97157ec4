// Docs example (serving.md): the official `openai` npm client against `tensorzoo serve`
// (started with `npx tensorzoo serve`; 8080 is its default port).
import OpenAI from 'openai';

export async function openaiClientExample(baseURL = 'http://127.0.0.1:8080/v1') {
  // region client
  const client = new OpenAI({ baseURL, apiKey: process.env.TENSORZOO_API_KEY ?? 'none' });

  // Chat, answered in one piece (temperature 0 is greedy):
  const chat = await client.chat.completions.create({
    model: 'tinycode-gemma2-6m',
    messages: [
      { role: 'system', content: 'You write Python.' },
      { role: 'user', content: 'A function that adds two numbers' },
    ],
    max_tokens: 32,
    temperature: 0,
  });
  console.log(chat.choices[0]!.message.content, chat.usage);

  // A plain completion, streamed as server-sent events, with a seeded sampler:
  const stream = await client.completions.create({
    model: 'tinycode-gemma2-6m',
    prompt: 'import numpy as np\n',
    max_tokens: 32,
    temperature: 0.8,
    top_p: 0.95,
    seed: 7,
    stop: ['\n\n'],
    stream: true,
  });
  let streamed = '';
  for await (const chunk of stream) streamed += chunk.choices[0]?.text ?? '';
  // endregion client
  return { chat, streamed };
}
