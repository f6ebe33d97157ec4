// Download edge cases: a stalled server, a stale partial file the server cannot resume, a progress
// callback that throws, and a redirect loop.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PresetDownloadError, resolvePreset, type ResolvePresetOptions } from '../../src/presets/index.js';
import { fileHandler, kaggleRoute, kerasPresetFiles, startServer, type TestServer } from './hub-server.js';

let cache: string;
const servers: TestServer[] = [];
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'tensorzoo-download-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(cache, { recursive: true, force: true });
});

const route = kaggleRoute('keras', 'gemma', 'gemma_2b_en', 3);
const options = (baseUrl: string, extra: ResolvePresetOptions = {}): ResolvePresetOptions => ({
  cacheDirectory: cache,
  kaggleBaseUrl: baseUrl,
  retryDelayMs: 1,
  timeoutMs: 5_000,
  env: {},
  ...extra,
});

describe('downloads', () => {
  it('gives up on a server that stops sending, within the request timeout', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-length': 1000 });
      response.write(Buffer.alloc(10)); // ...and nothing more
    });
    servers.push(server);
    const attempt = resolvePreset('gemma_2b_en', options(server.baseUrl, { timeoutMs: 200, maxRetries: 1 }));
    await expect(attempt).rejects.toBeInstanceOf(PresetDownloadError);
    await expect(attempt).rejects.toThrow(/`config.json` .* after 2 attempts: the connection was lost after 10 bytes/);
  });

  it('starts over when the server cannot resume a stale partial file (416)', async () => {
    const files = kerasPresetFiles();
    const { handler } = fileHandler({ route, files });
    const server = await startServer(handler);
    servers.push(server);
    const directory = join(cache, 'kaggle', 'keras', 'gemma', 'keras', 'gemma_2b_en', '3');
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'config.json.partial'), Buffer.alloc(files.get('config.json')!.length + 50, 7));
    const resolved = await resolvePreset('gemma_2b_en', options(server.baseUrl));
    expect(readFileSync(join(resolved.directory, 'config.json')).equals(files.get('config.json')!)).toBe(true);
    const configRequests = server.requests.filter((request) => request.path.endsWith('/config.json'));
    expect(configRequests.map((request) => request.headers.range ?? null)).toEqual([`bytes=${files.get('config.json')!.length + 50}-`, null]);
  });

  it('does not retry when the progress callback throws; the error reaches the caller', async () => {
    const { handler, served } = fileHandler({ route, files: kerasPresetFiles() });
    const server = await startServer(handler);
    servers.push(server);
    const failure = new Error('stop, please');
    const onProgress = () => {
      throw failure;
    };
    await expect(resolvePreset('gemma_2b_en', options(server.baseUrl, { onProgress }))).rejects.toBe(failure);
    expect(served.get('config.json')).toBe(1);
  });

  it('stops following a redirect loop', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(302, { location: '/again' });
      response.end();
    });
    servers.push(server);
    await expect(resolvePreset('gemma_2b_en', options(server.baseUrl))).rejects.toThrow(/too many redirects \(more than 10\)/);
    expect(server.requests).toHaveLength(11);
  });

  it("checks the MD5 that Google Cloud Storage announces in x-goog-hash", async () => {
    const files = kerasPresetFiles();
    const md5 = (body: Buffer) => createHash('md5').update(body).digest('base64');
    const good = fileHandler({ route, files, googHash: (_file, body) => `crc32c=AAAAAA==,md5=${md5(body)}` });
    const goodServer = await startServer(good.handler);
    servers.push(goodServer);
    const resolved = await resolvePreset('gemma_2b_en', options(goodServer.baseUrl));
    expect(readFileSync(join(resolved.directory, 'model.weights.h5')).equals(files.get('model.weights.h5')!)).toBe(true);

    const bad = fileHandler({ route, files, googHash: (file, body) => (file === 'config.json' ? `md5=${md5(Buffer.from('other'))}` : `md5=${md5(body)}`) });
    const badServer = await startServer(bad.handler);
    servers.push(badServer);
    const attempt = resolvePreset('gemma_2b_en', options(badServer.baseUrl, { cacheDirectory: join(cache, 'bad'), maxRetries: 1 }));
    await expect(attempt).rejects.toThrow(/`config.json` .* after 2 attempts: the file's MD5 is .* but the server announced/);
    expect(bad.served.get('config.json')).toBe(2);
  });

  it('downloads a preset once when two callers ask for it at the same time', async () => {
    const files = kerasPresetFiles();
    const { handler, served } = fileHandler({ route, files });
    const server = await startServer(handler);
    servers.push(server);
    const [first, second] = await Promise.all([
      resolvePreset('gemma_2b_en', options(server.baseUrl)),
      resolvePreset('kaggle://keras/gemma/keras/gemma_2b_en/3', options(server.baseUrl)),
    ]);
    expect(first.directory).toBe(second.directory);
    expect([first.fromCache, second.fromCache]).toEqual([false, true]);
    expect([...served.values()].every((count) => count === 1)).toBe(true);
    expect(readFileSync(join(first.directory, 'model.weights.h5')).equals(files.get('model.weights.h5')!)).toBe(true);
  });

  it('validates numeric options', async () => {
    await expect(resolvePreset('gemma_2b_en', { maxRetries: -1 })).rejects.toThrow(/argument 'options.maxRetries' expected a non-negative integer, received -1/);
    await expect(resolvePreset('gemma_2b_en', { timeoutMs: 1.5 })).rejects.toThrow(/options.timeoutMs/);
  });
});
