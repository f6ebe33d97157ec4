// Presets over HTTP with `fetch`, into memory: what `fromPreset` uses in browsers and workers (and
// on http(s) URLs anywhere). A preset is a folder URL (`https://host/models/tinycode-gemma2-6m/`,
// or a path the page resolves, `/models/x/`) or `hf://owner/repository`, which is Hugging Face's
//   GET <base>/<owner>/<repository>/resolve/main/<path>
// (the route huggingface_hub's hf_hub_download uses; <base> = https://huggingface.co). Files are
// read as streams, so progress is reported per chunk, and are kept in the Cache API (cache
// 'tensorzoo-presets'; where `caches` exists, i.e. secure contexts): a second load of the same
// preset, a page reload included, makes no request at all. A manifest entry records which files
// the preset has, so optional files that were missing are not asked for again either.
// Nothing here imports a Node module.
import { TensorzooError } from '@tensorzoo/core';
import { parseKerasShardedIndex } from '../io/keras-weights-read.js';
import { checkShardName } from '../io/files.js';
import { isGemmaPresetName } from './gemma-presets.js';
import { PresetAccessError, PresetDownloadError, PresetFileNotFoundError } from './errors.js';

/** One progress report: bytes of `label` (a file of the preset) so far, of `total` (0: unknown). */
export interface FetchProgress {
  label: string;
  loaded: number;
  total: number;
  unit: 'bytes';
  /** True when the file came from the cache (no request was made). */
  cached?: boolean;
}

export interface FetchPresetOptions {
  /** Fetch the weight files too (default true); false gets configuration and tokenizer only. */
  includeWeights?: boolean;
  /** Called as bytes arrive (per chunk). */
  onProgress?: (event: FetchProgress) => void;
  /** The Cache API cache to keep files in; false: no caching. Default 'tensorzoo-presets' where `caches` exists. */
  cache?: string | false;
  /** Default https://huggingface.co (a mirror, or a local test server). */
  huggingFaceBaseUrl?: string;
  /** Extra request headers (e.g. `Authorization: Bearer <token>` for gated Hugging Face models). */
  headers?: Record<string, string>;
  /** Aborts the downloads. */
  signal?: AbortSignal;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** A preset held in memory: file names as in the preset folder ('assets/tokenizer/vocabulary.spm') → bytes. */
export interface FetchedPreset {
  /** The handle as given, for messages. */
  preset: string;
  /** The folder URL every file name is relative to. */
  baseUrl: string;
  format: 'keras' | 'transformers';
  files: Map<string, Uint8Array>;
  /** Files that came from the cache / over the network. */
  fromCache: string[];
  downloaded: string[];
}

export const defaultPresetCacheName = 'tensorzoo-presets';
const manifestName = '.tensorzoo-manifest.json';
// As hubs.ts (not imported: it reads credentials with node:fs).
const defaultHuggingFaceBaseUrl = 'https://huggingface.co';

/** True for handles `fromPreset` loads with fetch: http(s) URLs anywhere; outside Node also hf:// and paths. */
export function isFetchedPreset(preset: unknown): preset is string {
  const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (preset === undefined && !inNode)
    throw new TensorzooError(
      "fromPreset: argument 'preset' expected the URL of a preset folder in a browser (the embedded tinycode-gemma2-6m is a folder of the npm package: serve it and pass its URL), received undefined",
    );
  if (typeof preset !== 'string' || preset === '') return false;
  if (/^https?:\/\//i.test(preset)) return true;
  return !inNode;
}

/** The folder URL of a preset handle (always ending in '/'). */
export function presetBaseUrl(preset: string, options: Pick<FetchPresetOptions, 'huggingFaceBaseUrl'> = {}): string {
  const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
  if (preset.startsWith('hf://')) {
    const [owner, repository, ...rest] = preset.slice('hf://'.length).split('/');
    if (!owner || !repository || rest.some((part) => part !== ''))
      throw new TensorzooError(`fromPreset: argument 'preset' expected hf://owner/repository, received ${JSON.stringify(preset)}`);
    return `${withSlash(options.huggingFaceBaseUrl ?? defaultHuggingFaceBaseUrl)}${owner}/${repository}/resolve/main/`;
  }
  if (preset.startsWith('kaggle://') || isGemmaPresetName(preset))
    throw new TensorzooError(
      `fromPreset: ${JSON.stringify(preset)}: Kaggle downloads need credentials and are not served to browsers (no CORS); ` +
        'host the preset folder yourself (any static server) and pass its URL, or use an hf:// handle',
    );
  const base = typeof location !== 'undefined' ? location.href : undefined;
  let url: URL;
  try {
    url = new URL(preset, base);
  } catch (error) {
    throw new TensorzooError(`fromPreset: argument 'preset' expected a URL, a path on this site or hf://owner/repository, received ${JSON.stringify(preset)}`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TensorzooError(`fromPreset: argument 'preset' expected an http(s) URL, received ${JSON.stringify(preset)} (${url.protocol})`);
  return withSlash(url.href);
}

async function openCache(name: string | false | undefined): Promise<Cache | null> {
  if (name === false || typeof caches === 'undefined') return null;
  try {
    return await caches.open(name ?? defaultPresetCacheName);
  } catch {
    // Opaque origins and some private modes refuse storage: load without caching.
    return null;
  }
}

/** Reads a response body as bytes, reporting progress per chunk; one buffer when the length is known. */
async function readBody(response: Response, label: string, onProgress: FetchPresetOptions['onProgress']): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '');
  // A compressed transfer declares the compressed length; the body is then longer than that.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = Number.isSafeInteger(declared) && declared > 0 && !encoded ? declared : 0;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ label, loaded: bytes.byteLength, total: bytes.byteLength, unit: 'bytes' });
    return bytes;
  }
  const reader = response.body.getReader();
  let single = total > 0 ? new Uint8Array(total) : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.({ label, loaded: 0, total, unit: 'bytes' });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (single && loaded + value.byteLength <= single.byteLength) single.set(value, loaded);
    else {
      // Longer than declared: fall back to collecting chunks.
      if (single) chunks.push(single.subarray(0, loaded));
      single = null;
      chunks.push(value);
    }
    loaded += value.byteLength;
    onProgress?.({ label, loaded, total, unit: 'bytes' });
  }
  if (single) {
    if (loaded !== single.byteLength) throw new PresetDownloadError(`${label}: the connection closed after ${loaded} of ${single.byteLength} bytes`, response.url);
    return single;
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

interface FileFetcher {
  /** The file's bytes, or null when the server answers 404 and the file is optional. */
  get(name: string, optional: boolean): Promise<Uint8Array | null>;
}

function fileFetcher(preset: string, baseUrl: string, cache: Cache | null, manifest: Set<string> | null, options: FetchPresetOptions, log: { fromCache: string[]; downloaded: string[] }): FileFetcher {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TensorzooError('fromPreset: no fetch in this environment (Node ≥ 18, browsers and workers have one)');
  return {
    async get(name, optional) {
      const url = new URL(name, baseUrl).href;
      // The manifest of a complete earlier download says which optional files do not exist.
      if (manifest && !manifest.has(name) && optional) return null;
      const hit = cache ? await cache.match(url) : undefined;
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        log.fromCache.push(name);
        options.onProgress?.({ label: name, loaded: bytes.byteLength, total: bytes.byteLength, unit: 'bytes', cached: true });
        return bytes;
      }
      let response: Response;
      try {
        response = await doFetch(url, { headers: options.headers, signal: options.signal });
      } catch (error) {
        if ((error as Error)?.name === 'AbortError') throw error;
        throw new PresetDownloadError(`${name} of preset ${preset}: the request to ${url} failed (${(error as Error)?.message ?? String(error)})`, url, undefined, { cause: error });
      }
      if (response.status === 404) {
        await response.body?.cancel();
        if (optional) return null;
        throw new PresetFileNotFoundError(preset, name, url);
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        throw new PresetAccessError(preset, name, response.status, url, 'pass headers: { Authorization: "Bearer <token>" } in the fromPreset options');
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new PresetDownloadError(`${name} of preset ${preset}: HTTP ${response.status} from ${url}`, url, response.status);
      }
      const bytes = await readBody(response, name, options.onProgress);
      log.downloaded.push(name);
      if (cache) {
        try {
          await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } }));
        } catch {
          // A full quota: the preset still loads, it is only not kept.
        }
      }
      return bytes;
    },
  };
}

function jsonOf(bytes: Uint8Array, name: string, preset: string): any {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new TensorzooError(`${name} of preset ${preset}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Fetches a preset's files into memory (KerasHub layout: config.json, tokenizer.json,
 * preprocessor.json, assets/tokenizer/vocabulary.spm, model.weights.h5 or model.weights.json and
 * its shards; Hugging Face layout: config.json, tokenizer.model, model.safetensors or its index
 * and shards), from the cache when it holds them.
 */
export async function fetchPresetFiles(preset: string, options: FetchPresetOptions = {}): Promise<FetchedPreset> {
  const baseUrl = presetBaseUrl(preset, options);
  const cache = await openCache(options.cache);
  const manifestUrl = new URL(manifestName, baseUrl).href;
  const manifestHit = cache ? await cache.match(manifestUrl) : undefined;
  const manifest = manifestHit ? new Set<string>((await manifestHit.json()) as string[]) : null;
  const log = { fromCache: [] as string[], downloaded: [] as string[] };
  const fetcher = fileFetcher(preset, baseUrl, cache, manifest, options, log);
  const files = new Map<string, Uint8Array>();
  const take = async (name: string, optional = false): Promise<Uint8Array | null> => {
    const bytes = await fetcher.get(name, optional);
    if (bytes) files.set(name, bytes);
    return bytes;
  };
  const config = jsonOf((await take('config.json'))!, 'config.json', preset);
  const format: 'keras' | 'transformers' | null =
    config && typeof config === 'object' && 'registered_name' in config ? 'keras' : config && typeof config === 'object' && 'model_type' in config ? 'transformers' : null;
  if (!format)
    throw new TensorzooError(`config.json of preset ${preset}: unrecognized preset format: expected a KerasHub config (with "registered_name") or a Hugging Face config (with "model_type")`);
  const includeWeights = options.includeWeights !== false;
  if (format === 'keras') {
    await take('tokenizer.json', true);
    await take('preprocessor.json', true);
    await take('assets/tokenizer/vocabulary.spm');
    if (includeWeights) {
      const index = await take('model.weights.json', true);
      if (index) {
        const shards = new Set<string>();
        for (const names of parseKerasShardedIndex(jsonOf(index, 'model.weights.json', preset), 'model.weights.json').values()) for (const shard of names) shards.add(shard);
        for (const shard of shards) await take(checkShardName(shard, { file: 'model.weights.json' }));
      } else await take('model.weights.h5');
    }
  } else {
    await take('tokenizer.model');
    if (includeWeights) {
      const index = await take('model.safetensors.index.json', true);
      if (index) {
        const weightMap = (jsonOf(index, 'model.safetensors.index.json', preset) as { weight_map?: Record<string, unknown> }).weight_map ?? {};
        for (const shard of new Set(Object.values(weightMap))) await take(checkShardName(shard, { file: 'model.safetensors.index.json' }));
      } else await take('model.safetensors');
    }
  }
  // Complete: record which files the preset has (only with the weights, so a configuration-only
  // load does not mark the weights as absent).
  if (cache && includeWeights && log.downloaded.length > 0) {
    try {
      await cache.put(manifestUrl, new Response(JSON.stringify([...files.keys()]), { headers: { 'content-type': 'application/json' } }));
    } catch {
      // Not kept: the next load asks for the optional files again.
    }
  }
  return { preset, baseUrl, format, files, ...log };
}

/** Removes a preset's files from the cache (all presets when no handle is given). */
export async function clearPresetCache(preset?: string, options: Pick<FetchPresetOptions, 'cache' | 'huggingFaceBaseUrl'> = {}): Promise<void> {
  if (typeof caches === 'undefined' || options.cache === false) return;
  const name = options.cache ?? defaultPresetCacheName;
  if (preset === undefined) {
    await caches.delete(name);
    return;
  }
  const baseUrl = presetBaseUrl(preset, options);
  const cache = await caches.open(name);
  for (const request of await cache.keys()) if (request.url.startsWith(baseUrl)) await cache.delete(request);
}
