// A local stand-in for Kaggle Models and the Hugging Face Hub, for the download tests: an HTTP
// server on 127.0.0.1 that serves in-memory preset files under each hub's URL scheme, records
// every request's headers, honours (or ignores) Range, and can misbehave on demand (drop the
// connection mid-file, answer 404/403/500, redirect to a second "storage" server).
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface TestServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, path: string) => void;

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push({ path, headers: request.headers });
    handler(request, response, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Misbehaviour {
  /** Answer this status for the file (every time, or the first `times` requests). */
  readonly status?: number;
  /** Send the headers and this many body bytes, then destroy the socket. */
  readonly dropAfterBytes?: number;
  /** How many requests misbehave; default every one. */
  readonly times?: number;
}

export interface FileServerOptions {
  /** Maps a request path to a preset file name, or undefined (404). */
  readonly route: (path: string) => string | undefined;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly supportsRange?: boolean;
  readonly misbehave?: Readonly<Record<string, Misbehaviour>>;
  /** Extra JSON routes (e.g. Kaggle's version lookup). */
  readonly json?: Readonly<Record<string, unknown>>;
  /** An x-goog-hash header value to send with a file (as Google Cloud Storage does). */
  readonly googHash?: (file: string, body: Buffer) => string | undefined;
  /** Redirect every file request to `<redirectBase>/blob/<file>` instead of serving it. */
  readonly redirectBase?: string;
}

/** Serves preset files; `served` counts requests per file. */
export function fileHandler(options: FileServerOptions): { handler: Handler; served: Map<string, number> } {
  const served = new Map<string, number>();
  const handler: Handler = (request, response, path) => {
    if (options.json !== undefined && path in options.json) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(options.json[path]));
      return;
    }
    const file = options.route(path);
    const body = file === undefined ? undefined : options.files.get(file);
    if (file === undefined || body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('Not Found');
      return;
    }
    const count = (served.get(file) ?? 0) + 1;
    served.set(file, count);
    if (options.redirectBase !== undefined) {
      response.writeHead(302, { location: `${options.redirectBase}/blob/${file}` });
      response.end();
      return;
    }
    const misbehaviour = options.misbehave?.[file];
    const active = misbehaviour !== undefined && count <= (misbehaviour.times ?? Number.POSITIVE_INFINITY);
    if (active && misbehaviour.status !== undefined) {
      response.writeHead(misbehaviour.status, { 'content-type': 'text/plain' });
      response.end(`status ${misbehaviour.status}`);
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range && options.supportsRange !== false) start = Number(range[1]);
    if (start > body.length) {
      response.writeHead(416, { 'content-range': `bytes */${body.length}` });
      response.end();
      return;
    }
    const slice = body.subarray(start);
    const headers: Record<string, string | number> = { 'content-length': slice.length, 'accept-ranges': 'bytes' };
    const googHash = options.googHash?.(file, body);
    if (googHash !== undefined) headers['x-goog-hash'] = googHash;
    if (start > 0) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    response.writeHead(start > 0 ? 206 : 200, headers);
    if (active && misbehaviour.dropAfterBytes !== undefined) {
      response.write(slice.subarray(0, misbehaviour.dropAfterBytes), () => response.socket?.destroy());
      return;
    }
    response.end(slice);
  };
  return { handler, served };
}

/** A KerasHub-layout preset like keras_gemma_tiny, with random bytes standing in for binaries. */
export function kerasPresetFiles(options: { sharded?: boolean; shardNames?: string[] } = {}): Map<string, Buffer> {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 4));
  const files = new Map<string, Buffer>([
    ['config.json', json({ module: 'keras_hub.src.models.gemma.gemma_backbone', class_name: 'GemmaBackbone', config: { vocabulary_size: 2048, num_layers: 2 }, registered_name: 'keras_hub>GemmaBackbone' })],
    ['metadata.json', json({ keras_version: '3.16.0', keras_hub_version: '0.32.0', parameter_count: 127728, tasks: ['CausalLM'] })],
    ['tokenizer.json', json({ class_name: 'GemmaTokenizer', config: { config_file: 'tokenizer.json' }, registered_name: 'keras_hub>GemmaTokenizer' })],
    ['preprocessor.json', json({ class_name: 'GemmaCausalLMPreprocessor', registered_name: 'keras_hub>GemmaCausalLMPreprocessor' })],
    ['assets/tokenizer/vocabulary.spm', randomBytes(29_586)],
  ]);
  if (options.sharded) {
    const names = options.shardNames ?? ['model_00000.weights.h5', 'model_00001.weights.h5'];
    files.set('model.weights.json', json({
      metadata: { total_size: 510912.0 },
      weight_map: { '/layers/reversible_embedding/vars': names[0], '/layers/gemma_decoder_block/attention/query_dense/vars': names.slice(0, 2), '/layers/rms_normalization/vars': names[names.length - 1] },
    }));
    for (const name of names) files.set(name, randomBytes(200_000));
  } else files.set('model.weights.h5', randomBytes(590_160));
  return files;
}

/** A Hugging Face (transformers) checkpoint with a sharded safetensors index. */
export function huggingFacePresetFiles(shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']): Map<string, Buffer> {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const files = new Map<string, Buffer>([
    ['config.json', json({ model_type: 'gemma', hidden_size: 32, num_hidden_layers: 2 })],
    ['model.safetensors.index.json', json({ metadata: { total_size: 1 }, weight_map: { 'model.embed_tokens.weight': shardNames[0], 'model.norm.weight': shardNames[shardNames.length - 1] } })],
    ['tokenizer.model', randomBytes(20_000)],
  ]);
  for (const name of shardNames) files.set(name, randomBytes(150_000));
  return files;
}

export const kaggleRoute = (owner: string, model: string, variation: string, version: number) => {
  const prefix = `/api/v1/models/${owner}/${model}/keras/${variation}/${version}/download/`;
  return (path: string) => (path.startsWith(prefix) ? path.slice(prefix.length) : undefined);
};

export const huggingFaceRoute = (owner: string, repository: string) => {
  const prefix = `/${owner}/${repository}/resolve/main/`;
  return (path: string) => (path.startsWith(prefix) ? path.slice(prefix.length) : undefined);
};
