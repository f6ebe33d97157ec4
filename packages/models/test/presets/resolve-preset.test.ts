// resolvePreset against local stand-ins for Kaggle Models and the Hugging Face Hub on 127.0.0.1:
// full downloads with progress, offline cache hits, interrupted transfers, error statuses,
// hostile shard names, and where credentials go.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  PresetAccessError,
  PresetDownloadError,
  PresetFileNotFoundError,
  completeMarkerName,
  resolvePreset,
  type DownloadProgressEvent,
  type ResolvePresetOptions,
} from '../../src/presets/index.js';
import {
  fileHandler,
  huggingFacePresetFiles,
  huggingFaceRoute,
  kaggleRoute,
  kerasPresetFiles,
  startServer,
  type FileServerOptions,
  type TestServer,
} from './hub-server.js';

let cache: string;
const servers: TestServer[] = [];

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'tensorzoo-presets-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(cache, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

async function serve(options: FileServerOptions) {
  const { handler, served } = fileHandler(options);
  const server = await startServer(handler);
  servers.push(server);
  return { server, served };
}

// Quick retries, and a bound on every request so a hung test fails instead of waiting.
const fast = (extra: ResolvePresetOptions = {}): ResolvePresetOptions => ({
  cacheDirectory: cache,
  retryDelayMs: 1,
  timeoutMs: 5_000,
  env: {},
  ...extra,
});

const gemmaTinyRoute = kaggleRoute('keras', 'gemma', 'gemma_2b_en', 3);

function expectSameFiles(directory: string, files: Map<string, Buffer>) {
  for (const [name, body] of files) expect(readFileSync(join(directory, ...name.split('/'))).equals(body), name).toBe(true);
}

describe('resolvePreset from Kaggle', () => {
  it('downloads a built-in preset through the Kaggle API with progress, then serves it offline', async () => {
    const files = kerasPresetFiles();
    const { server } = await serve({ route: gemmaTinyRoute, files });
    const events: DownloadProgressEvent[] = [];
    const resolved = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl, onProgress: (event) => events.push(event) }));

    expect(resolved).toMatchObject({ handle: 'gemma_2b_en', source: 'kaggle', format: 'keras', version: 3, fromCache: false });
    expect(resolved.directory).toBe(join(cache, 'kaggle', 'keras', 'gemma', 'keras', 'gemma_2b_en', '3'));
    expect(resolved.files).toEqual(['config.json', 'metadata.json', 'tokenizer.json', 'preprocessor.json', 'assets/tokenizer/vocabulary.spm', 'model.weights.h5']);
    expectSameFiles(resolved.directory, files);
    expect(existsSync(join(resolved.directory, completeMarkerName))).toBe(true);
    expect(existsSync(join(resolved.directory, 'model.weights.h5.partial'))).toBe(false);
    // config.json first, then KerasHub's files; task.json is probed and absent.
    expect(server.requests.map((request) => request.path)).toEqual(
      ['config.json', 'metadata.json', 'tokenizer.json', 'preprocessor.json', 'task.json', 'assets/tokenizer/vocabulary.spm', 'model.weights.h5'].map(
        (file) => `/api/v1/models/keras/gemma/keras/gemma_2b_en/3/download/${file}`,
      ),
    );

    const weightEvents = events.filter((event) => event.file === 'model.weights.h5');
    expect(weightEvents.length).toBeGreaterThan(1);
    expect(weightEvents.every((event) => event.totalBytes === 590_160)).toBe(true);
    for (let index = 1; index < weightEvents.length; index++)
      expect(weightEvents[index]!.loadedBytes).toBeGreaterThanOrEqual(weightEvents[index - 1]!.loadedBytes);
    expect(weightEvents.at(-1)!.loadedBytes).toBe(590_160);

    await server.close();
    const again = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    expect(again).toMatchObject({ directory: resolved.directory, fromCache: true, files: resolved.files });
  });

  it('asks Kaggle for the current version when the handle has none', async () => {
    const files = kerasPresetFiles();
    const route = kaggleRoute('someone', 'mygemma', 'tiny', 7);
    const { server } = await serve({ route, files, json: { '/api/v1/models/someone/mygemma/keras/tiny/get': { versionNumber: 7 } } });
    const resolved = await resolvePreset('kaggle://someone/mygemma/keras/tiny', fast({ kaggleBaseUrl: server.baseUrl }));
    expect(resolved).toMatchObject({ version: 7, fromCache: false });
    expect(server.requests[0]!.path).toBe('/api/v1/models/someone/mygemma/keras/tiny/get');
    // Offline afterwards, the newest complete cached version stands in for "the latest".
    await server.close();
    const offline = await resolvePreset('kaggle://someone/mygemma/keras/tiny', fast({ kaggleBaseUrl: server.baseUrl }));
    expect(offline).toMatchObject({ version: 7, fromCache: true });
  });

  it('says so when Kaggle does not know the variation, and when its version answer is malformed', async () => {
    const { server } = await serve({ route: gemmaTinyRoute, files: kerasPresetFiles(), json: { '/api/v1/models/a/b/keras/odd/get': { version: 3 } } });
    await expect(resolvePreset('kaggle://a/b/keras/missing', fast({ kaggleBaseUrl: server.baseUrl }))).rejects.toThrow(
      /Kaggle has no model variation `a\/b\/keras\/missing` \(HTTP 404 from .*\/api\/v1\/models\/a\/b\/keras\/missing\/get\)/,
    );
    await expect(resolvePreset('kaggle://a/b/keras/odd', fast({ kaggleBaseUrl: server.baseUrl }))).rejects.toThrow(/has no positive integer "versionNumber"/);
  });

  it('downloads every shard a sharded KerasHub index lists', async () => {
    const files = kerasPresetFiles({ sharded: true });
    const { server } = await serve({ route: gemmaTinyRoute, files });
    const resolved = await resolvePreset('kaggle://keras/gemma/keras/gemma_2b_en/3', fast({ kaggleBaseUrl: server.baseUrl }));
    expect(resolved.files).toContain('model_00000.weights.h5');
    expect(resolved.files).toContain('model_00001.weights.h5');
    expect(resolved.files).not.toContain('model.weights.h5');
    expectSameFiles(resolved.directory, files);
  });

  it('resumes with Range after the connection drops mid-file', async () => {
    const files = kerasPresetFiles();
    const { server, served } = await serve({ route: gemmaTinyRoute, files, misbehave: { 'model.weights.h5': { dropAfterBytes: 200_000, times: 1 } } });
    const resolved = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    expectSameFiles(resolved.directory, files);
    expect(served.get('model.weights.h5')).toBe(2);
    const weightRequests = server.requests.filter((request) => request.path.endsWith('/model.weights.h5'));
    expect(weightRequests[0]!.headers.range).toBeUndefined();
    expect(weightRequests[1]!.headers.range).toMatch(/^bytes=[1-9][0-9]*-$/);
  });

  it('retries cleanly when the server ignores Range', async () => {
    const files = kerasPresetFiles();
    const { server, served } = await serve({
      route: gemmaTinyRoute,
      files,
      supportsRange: false,
      misbehave: { 'model.weights.h5': { dropAfterBytes: 300_000, times: 2 } },
    });
    const resolved = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    expectSameFiles(resolved.directory, files);
    expect(served.get('model.weights.h5')).toBe(3);
  });

  it('reports a missing required file as not existing in the preset', async () => {
    const files = kerasPresetFiles();
    files.delete('config.json');
    const { server } = await serve({ route: gemmaTinyRoute, files });
    const attempt = resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    await expect(attempt).rejects.toBeInstanceOf(PresetFileNotFoundError);
    await expect(attempt).rejects.toThrow(/`config.json` doesn't exist in preset `gemma_2b_en` \(HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/models\/keras\/gemma\/keras\/gemma_2b_en\/3\/download\/config\.json\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('needs the weights: a KerasHub preset with neither weights file is an error', async () => {
    const files = kerasPresetFiles();
    files.delete('model.weights.h5');
    const { server } = await serve({ route: gemmaTinyRoute, files });
    await expect(resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }))).rejects.toThrow(/model\.weights\.h5 \(nor the sharded model\.weights\.json\)` doesn't exist/);
    // ...unless only the configuration and tokenizer are wanted.
    const light = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl, includeWeights: false }));
    expect(light.files).not.toContain('model.weights.h5');
  });

  it('retries server errors, then gives a clear error', async () => {
    const files = kerasPresetFiles();
    const { server, served } = await serve({ route: gemmaTinyRoute, files, misbehave: { 'config.json': { status: 500 } } });
    const attempt = resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl, maxRetries: 2 }));
    await expect(attempt).rejects.toBeInstanceOf(PresetDownloadError);
    await expect(attempt).rejects.toThrow(/could not download `config.json` of preset `gemma_2b_en` from .* after 3 attempts: HTTP 500/);
    expect(served.get('config.json')).toBe(3); // the first attempt and two retries
  });

  it('recovers from a transient server error', async () => {
    const files = kerasPresetFiles();
    const { server } = await serve({ route: gemmaTinyRoute, files, misbehave: { 'model.weights.h5': { status: 503, times: 2 } } });
    const resolved = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    expectSameFiles(resolved.directory, files);
  });

  it('explains 403 as gated or missing credentials', async () => {
    const files = kerasPresetFiles();
    const { server, served } = await serve({ route: gemmaTinyRoute, files, misbehave: { 'config.json': { status: 403 } } });
    const attempt = resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    await expect(attempt).rejects.toBeInstanceOf(PresetAccessError);
    await expect(attempt).rejects.toThrow(/not accessible \(HTTP 403 .*If the model is gated.*no credentials were sent; set KAGGLE_API_TOKEN, or KAGGLE_USERNAME and KAGGLE_KEY/);
    expect(served.get('config.json')).toBe(1); // never retried
  });

  it("refuses a shard name with '..' and never requests it", async () => {
    const files = kerasPresetFiles({ sharded: true, shardNames: ['model_00000.weights.h5', '../../outside.h5'] });
    const { server } = await serve({ route: gemmaTinyRoute, files });
    await expect(resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }))).rejects.toThrow(
      /model\.weights\.json in preset `gemma_2b_en` names the shard "\.\.\/\.\.\/outside\.h5", which contains a '\.\.' segment/,
    );
    expect(server.requests.some((request) => request.path.includes('outside'))).toBe(false);
    expect(existsSync(join(cache, 'kaggle', 'keras', 'gemma', 'keras', 'outside.h5'))).toBe(false);
  });
});

describe('resolvePreset from Hugging Face', () => {
  it('downloads a transformers checkpoint with a sharded safetensors index', async () => {
    const files = huggingFacePresetFiles();
    const { server } = await serve({ route: huggingFaceRoute('google', 'gemma-tiny'), files });
    const resolved = await resolvePreset('hf://google/gemma-tiny', fast({ huggingFaceBaseUrl: server.baseUrl }));
    expect(resolved).toMatchObject({ source: 'huggingFace', format: 'transformers', directory: join(cache, 'huggingface', 'google', 'gemma-tiny') });
    expect(resolved.files).toEqual(['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'tokenizer.model']);
    expectSameFiles(resolved.directory, files);
    expect(server.requests[0]!.path).toBe('/google/gemma-tiny/resolve/main/config.json');
  });

  it('falls back to model.safetensors without an index, and KerasHub layouts load from hf:// too', async () => {
    const transformers = new Map([
      ['config.json', Buffer.from('{"model_type":"gemma2"}')],
      ['model.safetensors', Buffer.from('weights')],
    ]);
    const keras = kerasPresetFiles();
    const { server } = await serve({
      route: (path) => huggingFaceRoute('a', 'hf-layout')(path) ?? huggingFaceRoute('keras', 'gemma_tiny')(path),
      files: new Map([...keras, ...transformers].map(([name, body]) => [name, body])),
    });
    const onlyTransformers = await serve({ route: huggingFaceRoute('a', 'hf-layout'), files: transformers });
    const first = await resolvePreset('hf://a/hf-layout', fast({ huggingFaceBaseUrl: onlyTransformers.server.baseUrl }));
    expect(first.files).toEqual(['config.json', 'model.safetensors']);
    const kerasServer = await serve({ route: huggingFaceRoute('keras', 'gemma_tiny'), files: keras });
    const second = await resolvePreset('hf://keras/gemma_tiny', fast({ huggingFaceBaseUrl: kerasServer.server.baseUrl }));
    expect(second.format).toBe('keras');
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a safetensors shard with '..' or an absolute path", async () => {
    for (const bad of ['../x.safetensors', '/etc/x.safetensors', 'a\\b.safetensors']) {
      const { server } = await serve({ route: huggingFaceRoute('o', 'r'), files: huggingFacePresetFiles(['ok.safetensors', bad]) });
      await expect(resolvePreset('hf://o/r', fast({ huggingFaceBaseUrl: server.baseUrl, cacheDirectory: join(cache, String(servers.length)) }))).rejects.toThrow(/names the shard/);
    }
  });
});

describe('credentials', () => {
  it('sends each token only to its own hub, and never after a redirect to another host', async () => {
    const keras = kerasPresetFiles();
    const storage = await serve({ route: (path) => (path.startsWith('/blob/') ? path.slice('/blob/'.length) : undefined), files: keras });
    const kaggle = await serve({ route: gemmaTinyRoute, files: keras, redirectBase: storage.server.baseUrl });
    const huggingFace = await serve({ route: huggingFaceRoute('google', 'gemma-tiny'), files: huggingFacePresetFiles() });
    const env = { KAGGLE_USERNAME: 'kaggle-user', KAGGLE_KEY: 'kaggle-secret', HF_TOKEN: 'hf-secret' };

    const fromKaggle = await resolvePreset('gemma_2b_en', fast({ env, kaggleBaseUrl: kaggle.server.baseUrl, huggingFaceBaseUrl: huggingFace.server.baseUrl }));
    expectSameFiles(fromKaggle.directory, keras);
    await resolvePreset('hf://google/gemma-tiny', fast({ env, kaggleBaseUrl: kaggle.server.baseUrl, huggingFaceBaseUrl: huggingFace.server.baseUrl }));

    const basic = `Basic ${Buffer.from('kaggle-user:kaggle-secret').toString('base64')}`;
    expect(kaggle.server.requests.length).toBeGreaterThan(0);
    for (const request of kaggle.server.requests) expect(request.headers.authorization).toBe(basic);
    expect(storage.server.requests.length).toBe(kaggle.server.requests.length - 1); // task.json is a 404 at Kaggle
    for (const request of storage.server.requests) expect(request.headers.authorization).toBeUndefined();
    expect(huggingFace.server.requests.length).toBeGreaterThan(0);
    for (const request of huggingFace.server.requests) expect(request.headers.authorization).toBe('Bearer hf-secret');
  });

  it('prefers KAGGLE_API_TOKEN, sent as a bearer token, and reads HUGGING_FACE_HUB_TOKEN', async () => {
    const kaggle = await serve({ route: gemmaTinyRoute, files: kerasPresetFiles() });
    await resolvePreset('gemma_2b_en', fast({ env: { KAGGLE_API_TOKEN: 'kgat_123', KAGGLE_USERNAME: 'u', KAGGLE_KEY: 'k' }, kaggleBaseUrl: kaggle.server.baseUrl }));
    expect(kaggle.server.requests.every((request) => request.headers.authorization === 'Bearer kgat_123')).toBe(true);
    const huggingFace = await serve({ route: huggingFaceRoute('google', 'gemma-tiny'), files: huggingFacePresetFiles() });
    await resolvePreset('hf://google/gemma-tiny', fast({ env: { HUGGING_FACE_HUB_TOKEN: 'old-style' }, huggingFaceBaseUrl: huggingFace.server.baseUrl }));
    expect(huggingFace.server.requests.every((request) => request.headers.authorization === 'Bearer old-style')).toBe(true);
  });

  it('mentions the credentials that were sent when access is refused', async () => {
    const { server } = await serve({ route: huggingFaceRoute('google', 'gemma-tiny'), files: huggingFacePresetFiles(), misbehave: { 'config.json': { status: 401 } } });
    await expect(resolvePreset('hf://google/gemma-tiny', fast({ env: { HF_TOKEN: 't' }, huggingFaceBaseUrl: server.baseUrl }))).rejects.toThrow(
      /HTTP 401 .*gated.*credentials from HF_TOKEN were sent; set HF_TOKEN/,
    );
  });
});

describe('the cache', () => {
  it('lives under TENSORZOO_CACHE from the environment', async () => {
    const files = kerasPresetFiles();
    const { server } = await serve({ route: gemmaTinyRoute, files });
    vi.stubEnv('TENSORZOO_CACHE', join(cache, 'from-env'));
    vi.stubEnv('TENSORZOO_KAGGLE_BASE_URL', server.baseUrl);
    const resolved = await resolvePreset('gemma_2b_en', { retryDelayMs: 1, timeoutMs: 5_000 });
    expect(resolved.directory).toBe(join(cache, 'from-env', 'kaggle', 'keras', 'gemma', 'keras', 'gemma_2b_en', '3'));
    expectSameFiles(resolved.directory, files);
  });

  it('refuses offline use of an incomplete cache, and re-downloads missing files otherwise', async () => {
    const files = kerasPresetFiles();
    const { server, served } = await serve({ route: gemmaTinyRoute, files });
    await expect(resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl, offline: true }))).rejects.toThrow(/is not complete in the cache .* offline use was requested/);
    const resolved = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    rmSync(join(resolved.directory, 'model.weights.h5'));
    const again = await resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: server.baseUrl }));
    expect(again.fromCache).toBe(false);
    expect(served.get('model.weights.h5')).toBe(2);
    expect(served.get('config.json')).toBe(1); // files already whole are not fetched again
    expectSameFiles(again.directory, files);
  });

  it('rejects plain http base URLs outside the loopback interface', async () => {
    await expect(resolvePreset('gemma_2b_en', fast({ kaggleBaseUrl: 'http://example.com' }))).rejects.toThrow(/kaggleBaseUrl expected an https URL/);
    await expect(resolvePreset('hf://a/b', fast({ huggingFaceBaseUrl: 'not a url' }))).rejects.toThrow(/huggingFaceBaseUrl expected an absolute URL/);
  });
});
