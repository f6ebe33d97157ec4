// HTTP plumbing for `tensorzoo serve` on Node's own http module: bounded JSON bodies, OpenAI-style
// error objects, server-sent events, bearer-key checks, CORS and the loopback Host check.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answered as `{error: {message, type, param, code}}` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const maxBodyBytes = 1024 * 1024;

/** Reads and parses a JSON body of at most `limit` bytes: 413 beyond it, 400 when it is not a JSON object. */
export async function readJsonBody(request: IncomingMessage, limit = maxBodyBytes): Promise<Record<string, unknown>> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared, limit);
  // Events rather than async iteration: leaving an async iterator early destroys the socket, and
  // the 413 answer must still go out on it.
  const chunks = await new Promise<Buffer[]>((resolve, reject) => {
    const received: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.pause();
        reject(tooLarge(size, limit));
      } else received.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(received));
    request.once('error', reject);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `The request body is not valid JSON: ${(error as Error).message}`, 'invalid_request_error', null, 'invalid_json');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, `The request body expected a JSON object, received ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`, 'invalid_request_error', null, 'invalid_json');
  return body as Record<string, unknown>;
}

function tooLarge(received: number, limit: number): HttpError {
  return new HttpError(413, `The request body is too large: expected at most ${limit} bytes, received ${received} or more`, 'invalid_request_error', null, 'request_too_large', { connection: 'close' });
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

export function errorBody(error: HttpError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export function sendError(response: ServerResponse, error: HttpError): void {
  sendJson(response, error.status, errorBody(error), error.headers);
}

/** Server-sent events: `data: <json>\n\n` per event, `data: [DONE]` at the end. */
export class EventStream {
  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    response.flushHeaders();
  }

  get open(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  send(data: unknown): void {
    if (this.open) this.response.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.open) return;
    this.response.write('data: [DONE]\n\n');
    this.response.end();
  }
}

/** Whether `Authorization: Bearer <key>` carries the key (compared in constant time). */
export function hasApiKey(request: IncomingMessage, key: string): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function corsHeaders(origin: string | null): Record<string, string> {
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return loopbackNames.has(host) || host.startsWith('127.');
}

/**
 * A server bound to loopback answers only requests addressed to a loopback name, so that a web
 * page cannot reach it through a DNS name rebound to 127.0.0.1.
 */
export function hostHeaderAllowed(request: IncomingMessage): boolean {
  const host = request.headers.host;
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return isLoopbackHost(name.toLowerCase());
}
