// `tensorzoo serve`'s HTTP server: the OpenAI routes over one ServedModel.
//   GET  /health                 liveness and the engine's queue (no key needed)
//   GET  /v1/models[/ID]         the one model
//   POST /v1/chat/completions    Gemma chat template; stream: true → server-sent events
//   POST /v1/completions         plain prompt
// Every error is an OpenAI error object. A request is validated completely before it reaches the
// engine, so a bad request never touches the running streams; a client that goes away cancels its
// sequence at the next step.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueueFullError } from '@tensorzoo/models';
import { prepareCompletion, runCompletion, type CompletionOutcome, type ServedModel } from './completion.js';
import { corsHeaders, errorBody, EventStream, hasApiKey, hostHeaderAllowed, HttpError, isLoopbackHost, readJsonBody, sendError, sendJson } from './http.js';
import { parseChatRequest, parseCompletionRequest, type ChatRequest, type CompletionRequest } from './requests.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Require `Authorization: Bearer <apiKey>` on /v1/*. */
  apiKey?: string | null;
  /** Send CORS headers for this origin (`*` for any); none by default. */
  corsOrigin?: string | null;
  /** Log one line per request here. */
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export async function startServer(model: ServedModel, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopbackHost(host);
  const cors = corsHeaders(options.corsOrigin ?? null);
  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(cors)) response.setHeader(name, value);
    handle(model, options, loopbackOnly, request, response).catch((error: unknown) => {
      const httpError = error instanceof HttpError ? error : new HttpError(500, `Internal error: ${(error as Error)?.message ?? String(error)}`, 'server_error');
      if (httpError.status === 413) response.once('finish', () => request.destroy());
      sendError(response, httpError);
    });
  });
  // A whole request (headers and body) must arrive within 30 s; the answer may take longer.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(model: ServedModel, options: ServeOptions, loopbackOnly: boolean, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = Date.now();
  response.once('close', () => options.log?.(`${request.method} ${request.url} ${response.statusCode} ${Date.now() - started} ms`));
  if (loopbackOnly && !hostHeaderAllowed(request))
    throw new HttpError(403, `The Host header expected a loopback name (localhost, 127.0.0.1, [::1]) for a server bound to loopback, received ${JSON.stringify(request.headers.host ?? '')}`, 'invalid_request_error', null, 'host_not_allowed');
  const path = (request.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
  if (request.method === 'OPTIONS') {
    response.writeHead(options.corsOrigin ? 204 : 405).end();
    return;
  }
  if (path === '/health' && request.method === 'GET') {
    const stats = model.engine.stats;
    sendJson(response, 200, { status: 'ok', model: model.id, running: stats.running, queued: stats.queued + stats.prefilling });
    return;
  }
  if (!path.startsWith('/v1/')) throw new HttpError(404, `Unknown route ${request.method} ${path}`, 'invalid_request_error', null, 'unknown_route');
  if (options.apiKey && !hasApiKey(request, options.apiKey))
    throw new HttpError(401, 'Incorrect or missing API key: send the header "Authorization: Bearer <key>" with the key given to --api-key', 'invalid_request_error', null, 'invalid_api_key');
  const route = `${request.method} ${path}`;
  if (route === 'GET /v1/models') {
    sendJson(response, 200, { object: 'list', data: [modelObject(model)] });
    return;
  }
  if (request.method === 'GET' && path.startsWith('/v1/models/')) {
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (id !== model.id) throw unknownModel(model, id);
    sendJson(response, 200, modelObject(model));
    return;
  }
  if (route === 'POST /v1/chat/completions' || route === 'POST /v1/completions') {
    const chat = route === 'POST /v1/chat/completions';
    const body = await readJsonBody(request);
    const parsed = chat ? parseChatRequest(body) : parseCompletionRequest(body);
    if (parsed.model !== model.id) throw unknownModel(model, parsed.model);
    await complete(model, chat, parsed, response);
    return;
  }
  if (['/v1/models', '/v1/chat/completions', '/v1/completions'].includes(path))
    throw new HttpError(405, `Method ${request.method} is not allowed on ${path}`, 'invalid_request_error', null, 'method_not_allowed');
  throw new HttpError(404, `Unknown route ${request.method} ${path}`, 'invalid_request_error', null, 'unknown_route');
}

function modelObject(model: ServedModel) {
  return { id: model.id, object: 'model', created: model.created, owned_by: 'tensorzoo' };
}

function unknownModel(model: ServedModel, id: string): HttpError {
  return new HttpError(404, `The model ${JSON.stringify(id)} does not exist: this server serves ${JSON.stringify(model.id)}`, 'invalid_request_error', 'model', 'model_not_found');
}

async function complete(model: ServedModel, chat: boolean, parsed: ChatRequest | CompletionRequest, response: ServerResponse): Promise<void> {
  const prepared = prepareCompletion(model, chat ? { messages: (parsed as ChatRequest).messages } : { prompt: (parsed as CompletionRequest).prompt }, parsed);
  const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: chat ? 'chat.completion.chunk' : 'text_completion', created, model: model.id };
  let stream: EventStream | null = null;
  const piece = (text: string, finishReason: string | null) =>
    chat
      ? { index: 0, delta: finishReason === null ? { content: text } : {}, logprobs: null, finish_reason: finishReason }
      : { index: 0, text, logprobs: null, finish_reason: finishReason };
  let running;
  try {
    running = runCompletion(model, prepared, (text) => stream?.send({ ...base, choices: [piece(text, null)] }));
  } catch (error) {
    if (error instanceof QueueFullError)
      throw new HttpError(429, `The server is busy: ${model.engine.maxQueue} requests already wait for one of ${model.engine.maxBatchSize} batch rows. Retry after a second.`, 'rate_limit_error', null, 'queue_full', { 'retry-after': '1' });
    throw error;
  }
  // The client went away before the answer was complete: stop the sequence's work.
  response.once('close', () => {
    if (!response.writableFinished) running.cancel();
  });
  if (parsed.stream) {
    stream = new EventStream(response);
    if (chat) stream.send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
  }
  let outcome: CompletionOutcome;
  try {
    outcome = await running.done;
  } catch (error) {
    const failure = new HttpError(500, `Generation failed: ${(error as Error)?.message ?? String(error)}`, 'server_error');
    if (!stream) throw failure;
    stream.send(errorBody(failure));
    stream.end();
    return;
  }
  if (outcome.finishReason === 'cancelled') {
    response.destroy();
    return;
  }
  const usage = { prompt_tokens: outcome.promptTokens, completion_tokens: outcome.completionTokens, total_tokens: outcome.promptTokens + outcome.completionTokens };
  if (stream) {
    stream.send({ ...base, choices: [piece('', outcome.finishReason)] });
    if (parsed.includeUsage) stream.send({ ...base, choices: [], usage });
    stream.end();
    return;
  }
  const choice = chat
    ? { index: 0, message: { role: 'assistant', content: outcome.text }, logprobs: null, finish_reason: outcome.finishReason }
    : { index: 0, text: outcome.text, logprobs: null, finish_reason: outcome.finishReason };
  sendJson(response, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created, model: model.id, choices: [choice], usage });
}
