// The OpenAI request bodies `tensorzoo serve` accepts, checked field by field: a wrong type or
// value is a 400 that names the field, the expected and the received value. Fields that change
// the answer in ways the server does not implement (n > 1, logprobs, echo, penalties) are refused
// rather than ignored; fields that do not (user, metadata …) are ignored.
import type { ChatMessage } from '@tensorzoo/models';
import { HttpError } from './http.js';

export interface SamplingParameters {
  maxTokens: number | null;
  /** null: the OpenAI default (1). 0 is greedy. */
  temperature: number | null;
  topP: number | null;
  /** An extension (llama.cpp, vLLM): keep the k most probable tokens. */
  topK: number | null;
  seed: number | null;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

export interface ChatRequest extends SamplingParameters {
  model: string;
  messages: ChatMessage[];
}

export interface CompletionRequest extends SamplingParameters {
  model: string;
  prompt: string;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function invalid(param: string, expected: string, received: unknown): never {
  throw new HttpError(400, `'${param}' expected ${expected}, received ${describe(received)}`, 'invalid_request_error', param, 'invalid_value');
}

function optionalNumber(body: Record<string, unknown>, name: string, check: (value: number) => boolean, expected: string, integer = false): number | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || !check(value)) invalid(name, expected, value);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') invalid(name, 'a boolean', value);
  return value;
}

function sampling(body: Record<string, unknown>): SamplingParameters {
  const n = optionalNumber(body, 'n', () => true, 'an integer', true);
  if (n !== null && n !== 1) invalid('n', '1 (one choice per request)', n);
  const bestOf = optionalNumber(body, 'best_of', () => true, 'an integer', true);
  if (bestOf !== null && bestOf !== 1) invalid('best_of', '1', bestOf);
  for (const name of ['presence_penalty', 'frequency_penalty'])
    if (optionalNumber(body, name, (value) => value >= -2 && value <= 2, 'a number in [-2, 2]') ?? 0) invalid(name, '0 (penalties are not implemented)', body[name]);
  if (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== false) invalid('logprobs', 'false or null (log probabilities are not implemented)', body.logprobs);
  if (optionalBoolean(body, 'echo')) invalid('echo', 'false (echo is not implemented)', true);
  const maxCompletion = optionalNumber(body, 'max_completion_tokens', (value) => value >= 1, 'an integer ≥ 1', true);
  const maxTokens = optionalNumber(body, 'max_tokens', (value) => value >= 1, 'an integer ≥ 1', true) ?? maxCompletion;
  const stream = optionalBoolean(body, 'stream');
  let includeUsage = false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (typeof streamOptions !== 'object' || Array.isArray(streamOptions)) invalid('stream_options', 'an object', streamOptions);
    includeUsage = optionalBoolean(streamOptions as Record<string, unknown>, 'include_usage');
    if (!stream) invalid('stream_options', 'null unless stream is true', streamOptions);
  }
  let stop: string[] = [];
  const rawStop = body.stop;
  if (typeof rawStop === 'string') stop = [rawStop];
  else if (Array.isArray(rawStop)) {
    if (rawStop.length > 4) invalid('stop', 'at most 4 strings', rawStop);
    rawStop.forEach((entry, index) => typeof entry !== 'string' && invalid(`stop[${index}]`, 'a string', entry));
    stop = rawStop as string[];
  } else if (rawStop !== undefined && rawStop !== null) invalid('stop', 'a string, an array of up to 4 strings, or null', rawStop);
  if (stop.some((entry) => entry.length === 0)) invalid('stop', 'non-empty strings', '""');
  return {
    maxTokens,
    temperature: optionalNumber(body, 'temperature', (value) => value >= 0 && value <= 2, 'a number in [0, 2]'),
    topP: optionalNumber(body, 'top_p', (value) => value > 0 && value <= 1, 'a number in (0, 1]'),
    topK: optionalNumber(body, 'top_k', (value) => value >= 1, 'an integer ≥ 1', true),
    seed: optionalNumber(body, 'seed', (value) => Math.abs(value) <= Number.MAX_SAFE_INTEGER, 'an integer', true),
    stop,
    stream,
    includeUsage,
  };
}

function model(body: Record<string, unknown>): string {
  if (typeof body.model !== 'string' || body.model === '') invalid('model', 'a model id string (see GET /v1/models)', body.model);
  return body.model;
}

/** A message's text: a string, or an array of {type: 'text', text} parts (joined). */
function messageText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, index) => {
        const entry = part as { type?: unknown; text?: unknown };
        if (typeof part !== 'object' || part === null || entry.type !== 'text') invalid(`${param}[${index}].type`, "'text' (this model reads text only)", entry?.type ?? part);
        if (typeof entry.text !== 'string') invalid(`${param}[${index}].text`, 'a string', entry.text);
        return entry.text;
      })
      .join('\n');
  }
  return invalid(param, 'a string or an array of text parts', content);
}

export function parseChatRequest(body: Record<string, unknown>): ChatRequest {
  const name = model(body);
  const raw = body.messages;
  if (!Array.isArray(raw) || raw.length === 0) invalid('messages', 'a non-empty array of {role, content}', raw);
  const messages = raw.map((message, index): ChatMessage => {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) invalid(`messages[${index}]`, 'an object {role, content}', message);
    const { role, content } = message as { role?: unknown; content?: unknown };
    // OpenAI's newer 'developer' role is its system role.
    if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant')
      invalid(`messages[${index}].role`, "'system', 'developer', 'user' or 'assistant'", role);
    if (role !== 'user' && role !== 'assistant' && index !== 0) invalid(`messages[${index}].role`, "'user' or 'assistant' (a system message may only come first)", role);
    return { role: role === 'developer' ? 'system' : role, content: messageText(content, `messages[${index}].content`) };
  });
  if (messages.length === 1 && messages[0]!.role === 'system') invalid('messages', 'a user message after the system message', 'only a system message');
  return { model: name, messages, ...sampling(body) };
}

export function parseCompletionRequest(body: Record<string, unknown>): CompletionRequest {
  const name = model(body);
  let prompt = body.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1 || typeof prompt[0] !== 'string') invalid('prompt', 'a string or an array of exactly one string (one choice per request)', prompt);
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string') invalid('prompt', 'a string', prompt);
  if (body.suffix !== undefined && body.suffix !== null) invalid('suffix', 'null (insertion is not implemented)', body.suffix);
  return { model: name, prompt, ...sampling(body) };
}
