// Downloading one file over HTTP(S) into the preset cache, with Node's own http/https modules
// (no dependency): bytes go to "<destination>.partial" and the file is renamed into place only
// once its size matches what the server announced, so a cached file is always complete.
//
// - Interrupted transfers resume: the next attempt asks for "Range: bytes=<partial size>-". A
//   206 answer whose Content-Range starts there is appended; a 200 answer means the server
//   ignored the range and the partial file is discarded (a clean retry).
// - 408, 429, 5xx and network errors are retried with exponential back-off, up to maxRetries.
// - When the server announces an MD5 (x-goog-hash), the finished file must match it.
// - 404 and 401/403 are answered at once (PresetFileNotFoundError / PresetAccessError).
// - Redirects are followed by hand (at most 10) so that the Authorization header is sent only to
//   the hub's own origin and never to the storage host a hub redirects to.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PresetAccessError, PresetDownloadError, PresetFileNotFoundError } from './errors.js';
import { isAllowedDownloadUrl, type HubCredential } from './hubs.js';

export interface DownloadProgressEvent {
  /** The preset-relative file name, e.g. "model.weights.h5". */
  readonly file: string;
  /** Bytes of the file on disk so far, resumed bytes included. */
  readonly loadedBytes: number;
  /** The file's full size, or null while the server has not said. */
  readonly totalBytes: number | null;
}

export interface HttpSettings {
  /** Retries after the first attempt, for server errors and lost connections. */
  readonly maxRetries: number;
  /** The first back-off delay; each retry doubles it. */
  readonly retryDelayMs: number;
  /** A request fails when its socket is idle this long. */
  readonly timeoutMs: number;
  readonly credential: HubCredential | undefined;
  readonly credentialHint: string;
}

export interface FileRequest {
  readonly preset: string;
  readonly file: string;
  readonly url: string;
}

const maximumRedirects = 10;

/** A failure worth another attempt (server error, dropped connection, short body). */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface OpenResponse {
  readonly response: IncomingMessage;
  readonly url: string;
}

function requestOnce(url: URL, headers: Record<string, string>, settings: HttpSettings): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers }, resolve);
    request.setTimeout(settings.timeoutMs, () =>
      request.destroy(new RetryableError(`no data from ${url.origin} for ${settings.timeoutMs} ms`)),
    );
    request.on('error', (error) =>
      reject(error instanceof RetryableError ? error : new RetryableError(`request to ${url.origin} failed: ${error.message}`, undefined, { cause: error })),
    );
  });
}

/** GET `url`, following redirects; Authorization goes only to the credential's own origin. */
async function open(url: string, extraHeaders: Record<string, string>, settings: HttpSettings): Promise<OpenResponse> {
  let current = new URL(url);
  for (let redirects = 0; ; redirects++) {
    if (!isAllowedDownloadUrl(current))
      throw new PresetDownloadError(`refusing to download from ${current.href}: only https (or http on loopback) is allowed`, current.href);
    const headers: Record<string, string> = {
      'user-agent': 'tensorzoo',
      'accept-encoding': 'identity',
      ...extraHeaders,
    };
    if (settings.credential !== undefined && current.origin === settings.credential.origin)
      headers['authorization'] = settings.credential.authorization;
    const response = await requestOnce(current, headers, settings);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && status !== 304 && location !== undefined) {
      response.resume();
      if (redirects >= maximumRedirects)
        throw new PresetDownloadError(`too many redirects (more than ${maximumRedirects}) starting from ${url}`, url, status);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:')
        throw new PresetDownloadError(`refusing a redirect from https to ${next.protocol} (${next.href})`, url, status);
      current = next;
      continue;
    }
    return { response, url: current.href };
  }
}

/** Turns an error status into the right error (thrown) or a retryable failure (thrown). */
function failOnStatus(request: FileRequest, response: IncomingMessage, settings: HttpSettings): void {
  const status = response.statusCode ?? 0;
  if (status === 200 || status === 206 || status === 416) return;
  response.resume();
  if (status === 404) throw new PresetFileNotFoundError(request.preset, request.file, request.url);
  if (status === 401 || status === 403) {
    const sent = settings.credential === undefined ? 'no credentials were sent' : `credentials from ${settings.credential.source} were sent`;
    throw new PresetAccessError(request.preset, request.file, status, request.url, `${sent}; ${settings.credentialHint}`);
  }
  if (status === 408 || status === 429 || status >= 500)
    throw new RetryableError(`HTTP ${status} ${response.statusMessage ?? ''}`.trim(), status);
  throw new PresetDownloadError(
    `unexpected HTTP ${status} for \`${request.file}\` in preset \`${request.preset}\` from ${request.url}`,
    request.url,
    status,
  );
}

function parseContentRange(value: string | undefined): { start: number; total: number | null } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? null : Number(match[3]) };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function attempt(
  request: FileRequest,
  destination: string,
  settings: HttpSettings,
  onProgress: ((event: DownloadProgressEvent) => void) | undefined,
): Promise<number> {
  const partial = `${destination}.partial`;
  let existing = await sizeOf(partial);
  const { response } = await open(request.url, existing > 0 ? { range: `bytes=${existing}-` } : {}, settings);
  failOnStatus(request, response, settings);
  let totalBytes: number | null;
  if (response.statusCode === 416) {
    // The partial file is not a prefix the server recognises (e.g. the file changed): start over.
    response.resume();
    await rm(partial, { force: true });
    throw new RetryableError('the server rejected the resume range; restarting the file');
  } else if (response.statusCode === 206) {
    const range = parseContentRange(response.headers['content-range']);
    if (range === undefined || range.start !== existing) {
      response.resume();
      await rm(partial, { force: true });
      throw new RetryableError(`the server resumed at an unexpected offset (${response.headers['content-range'] ?? 'no Content-Range'})`);
    }
    totalBytes = range.total;
  } else {
    // 200: a whole file. If a partial file exists the server ignored Range: clean retry.
    existing = 0;
    const length = response.headers['content-length'];
    totalBytes = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
  }

  let loadedBytes = existing;
  onProgress?.({ file: request.file, loadedBytes, totalBytes });
  // An exception from the caller's progress callback stops the download as it is (never retried).
  let callbackError: { error: unknown } | undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      loadedBytes += chunk.length;
      try {
        onProgress?.({ file: request.file, loadedBytes, totalBytes });
      } catch (error) {
        callbackError = { error };
        callback(error as Error);
        return;
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(response, counter, createWriteStream(partial, { flags: existing > 0 ? 'a' : 'w' }));
  } catch (error) {
    if (callbackError !== undefined) throw callbackError.error;
    throw new RetryableError(`the connection was lost after ${loadedBytes} bytes`, undefined, { cause: error });
  }
  const written = await sizeOf(partial);
  if (totalBytes !== null && written !== totalBytes)
    throw new RetryableError(`received ${written} of ${totalBytes} bytes before the connection closed`);
  // Google Cloud Storage (where Kaggle's download route redirects) sends the object's MD5 as
  // "x-goog-hash: md5=<base64>"; kagglehub checks it, and so do we, over the whole file.
  const expectedMd5 = /(?:^|,)\s*md5=([A-Za-z0-9+/=]+)/.exec(String(response.headers['x-goog-hash'] ?? ''))?.[1];
  if (expectedMd5 !== undefined) {
    const actualMd5 = await md5Base64(partial);
    if (actualMd5 !== expectedMd5) {
      await rm(partial, { force: true });
      throw new RetryableError(`the file's MD5 is ${actualMd5} but the server announced ${expectedMd5}`);
    }
  }
  await rename(partial, destination);
  return written;
}

async function md5Base64(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Downloads `request.url` to `destination` (its folder must exist); returns the file's size.
 * Resumes from an existing "<destination>.partial" left by an interrupted earlier run.
 */
export async function downloadFile(
  request: FileRequest,
  destination: string,
  settings: HttpSettings,
  onProgress?: (event: DownloadProgressEvent) => void,
): Promise<number> {
  for (let attemptIndex = 0; ; attemptIndex++) {
    try {
      return await attempt(request, destination, settings, onProgress);
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      if (attemptIndex >= settings.maxRetries)
        throw new PresetDownloadError(
          `could not download \`${request.file}\` of preset \`${request.preset}\` from ${request.url} after ` +
            `${attemptIndex + 1} attempts: ${error.message}`,
          request.url,
          error.status,
          { cause: error },
        );
      await sleep(settings.retryDelayMs * 2 ** attemptIndex);
    }
  }
}

/**
 * GETs a small JSON document (Kaggle's version lookup) with the same retry and error rules.
 * Bodies over 16 MiB are refused: these answers are a few hundred bytes.
 */
export async function fetchJson(request: FileRequest, settings: HttpSettings): Promise<unknown> {
  const limit = 16 * 1024 * 1024;
  for (let attemptIndex = 0; ; attemptIndex++) {
    try {
      const { response } = await open(request.url, { accept: 'application/json' }, settings);
      failOnStatus(request, response, settings);
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > limit) {
            response.destroy();
            throw new PresetDownloadError(`the answer from ${request.url} is larger than ${limit} bytes`, request.url);
          }
          chunks.push(chunk);
        }
      } catch (error) {
        if (error instanceof PresetDownloadError) throw error;
        throw new RetryableError(`the connection was lost while reading ${request.url}`, undefined, { cause: error });
      }
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        return JSON.parse(text);
      } catch {
        throw new PresetDownloadError(`the answer from ${request.url} is not JSON: ${JSON.stringify(text.slice(0, 200))}`, request.url);
      }
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      if (attemptIndex >= settings.maxRetries)
        throw new PresetDownloadError(`could not reach ${request.url} after ${attemptIndex + 1} attempts: ${error.message}`, request.url, error.status, { cause: error });
      await sleep(settings.retryDelayMs * 2 ** attemptIndex);
    }
  }
}
