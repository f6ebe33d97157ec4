// resolvePreset: any preset handle → a local folder holding the files the preset needs
// (KerasHub's get_file for every file a loader asks for, spec gemma.md §3.3). Built-in names and
// kaggle:// handles download from Kaggle Models, hf:// handles from Hugging Face, local folders
// are checked in place. Downloads land in the cache (cache.ts) and a complete cached preset is
// used without any network access.
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TensorzooError, argumentError } from '@tensorzoo/core';
import {
  ensureDirectory,
  huggingFaceCacheDirectory,
  kaggleCacheDirectory,
  kaggleVariationDirectory,
  presetCacheRoot,
  readCompleteMarker,
  removeCompleteMarker,
  writeCompleteMarker,
} from './cache.js';
import { downloadFile, fetchJson, type DownloadProgressEvent, type HttpSettings } from './download.js';
import { PresetDownloadError, PresetFileNotFoundError } from './errors.js';
import { kaggleHandlePath, parsePresetHandle, type HuggingFaceHandle, type KaggleHandle, type LocalHandle } from './handles.js';
import {
  checkBaseUrl,
  defaultHuggingFaceBaseUrl,
  defaultKaggleBaseUrl,
  huggingFaceCredential,
  huggingFaceCredentialHint,
  huggingFaceFileUrl,
  kaggleCredential,
  kaggleCredentialHint,
  kaggleFileUrl,
  kaggleLatestVersionUrl,
  type Environment,
} from './hubs.js';
import { collectPresetFiles, type PresetFormat, type PresetSource } from './preset-files.js';

export interface ResolvePresetOptions {
  /** Cache root; default TENSORZOO_CACHE, else $XDG_CACHE_HOME/tensorzoo or ~/.cache/tensorzoo. */
  readonly cacheDirectory?: string;
  /** Default TENSORZOO_KAGGLE_BASE_URL, else https://www.kaggle.com. */
  readonly kaggleBaseUrl?: string;
  /** Default TENSORZOO_HF_BASE_URL, else https://huggingface.co. */
  readonly huggingFaceBaseUrl?: string;
  /** Called as bytes arrive; it must not be slow (it runs for every chunk). */
  readonly onProgress?: (event: DownloadProgressEvent) => void;
  /** Fetch the weight files too (default true); false gets configuration and tokenizer only. */
  readonly includeWeights?: boolean;
  /** Download again even when the cache is complete (default false). */
  readonly forceDownload?: boolean;
  /** Never touch the network: a complete cache or an error (default TENSORZOO_OFFLINE=1). */
  readonly offline?: boolean;
  /** Retries after a failed attempt (server errors, lost connections); default 4. */
  readonly maxRetries?: number;
  /** First back-off delay in milliseconds, doubled on every retry; default 500. */
  readonly retryDelayMs?: number;
  /** A request fails after this many milliseconds without data; default 60000 (0: no limit). */
  readonly timeoutMs?: number;
  /** Environment variables to read (cache, base URLs, tokens); default process.env. */
  readonly env?: Environment;
}

export interface ResolvedPreset {
  /** The local folder holding the preset's files. */
  readonly directory: string;
  /** The handle as given. */
  readonly handle: string;
  readonly source: 'kaggle' | 'huggingFace' | 'local';
  readonly format: PresetFormat;
  /** The preset's files present in `directory`, relative, '/'-separated, config.json first. */
  readonly files: readonly string[];
  /** The Kaggle model variation version used (resolved when the handle had none). */
  readonly version?: number;
  /** True when nothing was downloaded (a complete cache, or a local folder). */
  readonly fromCache: boolean;
}

function checkNonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) argumentError('resolvePreset', `options.${name}`, 'a non-negative integer', value);
  return value;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readJsonFile(path: string, file: string, preset: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TensorzooError(`resolvePreset: \`${file}\` in preset \`${preset}\` is not valid JSON (${(error as Error).message})`);
  }
}

const localPath = (directory: string, file: string) => join(directory, ...file.split('/'));

async function resolveLocal(handle: LocalHandle, includeWeights: boolean): Promise<ResolvedPreset> {
  const directory = resolve(handle.directory);
  let isDirectory = false;
  try {
    isDirectory = (await stat(directory)).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory)
    throw new TensorzooError(
      `resolvePreset: ${JSON.stringify(handle.handle)} is not a built-in preset, a kaggle:// or hf:// handle, or an ` +
        `existing local directory (looked for ${directory})`,
    );
  const source: PresetSource = {
    preset: handle.handle,
    async fetch(file, optional) {
      if (await isFile(localPath(directory, file))) return true;
      if (optional) return false;
      throw new PresetFileNotFoundError(handle.handle, file);
    },
    readJson: (file) => readJsonFile(localPath(directory, file), file, handle.handle),
  };
  const list = await collectPresetFiles(source, includeWeights);
  return { directory, handle: handle.handle, source: 'local', format: list.format, files: list.files, fromCache: true };
}

interface HubPlan {
  readonly directory: string;
  readonly version?: number;
  readonly urlFor: (file: string) => string;
  readonly settings: HttpSettings;
}

/** The newest version of a Kaggle variation with a complete cache, for offline use. */
async function newestCachedKaggleVersion(root: string, handle: KaggleHandle, includeWeights: boolean): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir(kaggleVariationDirectory(root, handle));
  } catch {
    return undefined;
  }
  const versions = entries.filter((name) => /^[1-9][0-9]*$/.test(name)).map(Number).sort((a, b) => b - a);
  for (const version of versions)
    if (await readCompleteMarker(kaggleCacheDirectory(root, handle, version), includeWeights)) return version;
  return undefined;
}

async function planKaggle(handle: KaggleHandle, root: string, options: ResolvePresetOptions, base: Omit<HttpSettings, 'credential' | 'credentialHint'>, offline: boolean, includeWeights: boolean): Promise<HubPlan> {
  const env = options.env ?? process.env;
  const baseUrl = checkBaseUrl('kaggleBaseUrl', options.kaggleBaseUrl ?? env['TENSORZOO_KAGGLE_BASE_URL'] ?? defaultKaggleBaseUrl);
  const settings: HttpSettings = { ...base, credential: kaggleCredential(baseUrl, env), credentialHint: kaggleCredentialHint };
  let version = handle.version;
  if (version === undefined) {
    // kagglehub asks for the variation's current version; offline, or when Kaggle cannot be
    // reached, the newest complete cached version stands in.
    const cached = await newestCachedKaggleVersion(root, handle, includeWeights);
    if (offline && cached !== undefined) version = cached;
    else if (!offline) {
      const url = kaggleLatestVersionUrl(baseUrl, handle);
      try {
        const answer = await fetchJson({ preset: handle.handle, file: 'the current version', url }, settings);
        const number = (answer as { versionNumber?: unknown } | null)?.versionNumber;
        if (!Number.isSafeInteger(number) || (number as number) < 1)
          throw new PresetDownloadError(`Kaggle's answer from ${url} has no positive integer "versionNumber"`, url);
        version = number as number;
      } catch (error) {
        if (error instanceof PresetFileNotFoundError)
          throw new TensorzooError(
            `resolvePreset: Kaggle has no model variation \`${kaggleHandlePath(handle, undefined)}\` (HTTP 404 from ${url}); ` +
              `check the owner, model, framework and variation of ${JSON.stringify(handle.handle)}`,
          );
        const unreachable = error instanceof PresetDownloadError && (error.status === undefined || error.status >= 500);
        if (!unreachable || cached === undefined) throw error;
        version = cached;
      }
    }
    if (version === undefined)
      throw new TensorzooError(`resolvePreset: preset \`${handle.handle}\` has no version in the cache and offline use was requested`);
  }
  const resolvedVersion = version;
  return {
    directory: kaggleCacheDirectory(root, handle, resolvedVersion),
    version: resolvedVersion,
    urlFor: (file) => kaggleFileUrl(baseUrl, handle, resolvedVersion, file),
    settings,
  };
}

function planHuggingFace(handle: HuggingFaceHandle, root: string, options: ResolvePresetOptions, base: Omit<HttpSettings, 'credential' | 'credentialHint'>): HubPlan {
  const env = options.env ?? process.env;
  const baseUrl = checkBaseUrl('huggingFaceBaseUrl', options.huggingFaceBaseUrl ?? env['TENSORZOO_HF_BASE_URL'] ?? defaultHuggingFaceBaseUrl);
  return {
    directory: huggingFaceCacheDirectory(root, handle),
    urlFor: (file) => huggingFaceFileUrl(baseUrl, handle, file),
    settings: { ...base, credential: huggingFaceCredential(baseUrl, env), credentialHint: huggingFaceCredentialHint },
  };
}

const inFlight = new Map<string, Promise<unknown>>();

async function serializedByFolder<T>(directory: string, work: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(directory) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(work);
  inFlight.set(directory, current);
  try {
    return await current;
  } finally {
    if (inFlight.get(directory) === current) inFlight.delete(directory);
  }
}

/**
 * Resolves `handle` to a local folder with every file the preset needs, downloading what the
 * cache lacks. See ResolvePresetOptions for the knobs and ResolvedPreset for the answer.
 */
export async function resolvePreset(handle: string, options: ResolvePresetOptions = {}): Promise<ResolvedPreset> {
  if (typeof options !== 'object' || options === null) argumentError('resolvePreset', 'options', 'an options object', options);
  const parsed = parsePresetHandle(handle);
  const includeWeights = options.includeWeights ?? true;
  if (parsed.kind === 'local') return resolveLocal(parsed, includeWeights);

  const env = options.env ?? process.env;
  const offline = options.offline ?? env['TENSORZOO_OFFLINE'] === '1';
  const root = resolve(options.cacheDirectory ?? presetCacheRoot(env));
  const base = {
    maxRetries: checkNonNegativeInteger('maxRetries', options.maxRetries, 4),
    retryDelayMs: checkNonNegativeInteger('retryDelayMs', options.retryDelayMs, 500),
    timeoutMs: checkNonNegativeInteger('timeoutMs', options.timeoutMs, 60_000),
  };
  const plan =
    parsed.kind === 'kaggle'
      ? await planKaggle(parsed, root, options, base, offline, includeWeights)
      : planHuggingFace(parsed, root, options, base);
  const result = (format: PresetFormat, files: readonly string[], fromCache: boolean): ResolvedPreset => ({
    directory: plan.directory,
    handle,
    source: parsed.kind,
    format,
    files,
    ...(plan.version === undefined ? {} : { version: plan.version }),
    fromCache,
  });

  // One download per cache folder at a time in this process: a second caller waits, then finds
  // the folder complete (two writers appending to one .partial file would corrupt it).
  return serializedByFolder(plan.directory, async () => {
    if (!options.forceDownload) {
      const marker = await readCompleteMarker(plan.directory, includeWeights);
      if (marker !== undefined) return result(marker.format, marker.files, true);
    }
    if (offline)
      throw new TensorzooError(
        `resolvePreset: preset \`${handle}\` is not complete in the cache (${plan.directory}) and offline use was requested`,
      );

    await ensureDirectory(plan.directory);
    await removeCompleteMarker(plan.directory);
    const source: PresetSource = {
      preset: handle,
      async fetch(file, optional) {
        const destination = localPath(plan.directory, file);
        // Files are renamed into place only when complete, so one already there is whole.
        if (!options.forceDownload && (await isFile(destination))) return true;
        await ensureDirectory(dirname(destination));
        try {
          await downloadFile({ preset: handle, file, url: plan.urlFor(file) }, destination, plan.settings, options.onProgress);
          return true;
        } catch (error) {
          if (optional && error instanceof PresetFileNotFoundError) return false;
          throw error;
        }
      },
      readJson: (file) => readJsonFile(localPath(plan.directory, file), file, handle),
    };
    const list = await collectPresetFiles(source, includeWeights);
    await writeCompleteMarker(plan.directory, {
      handle,
      format: list.format,
      files: list.files,
      absent: list.absent,
      includesWeights: includeWeights,
      completedAt: new Date().toISOString(),
    });
    return result(list.format, list.files, false);
  });
}

/** resolvePreset for callers that only need the folder. */
export async function resolvePresetDirectory(handle: string, options?: ResolvePresetOptions): Promise<string> {
  return (await resolvePreset(handle, options)).directory;
}
