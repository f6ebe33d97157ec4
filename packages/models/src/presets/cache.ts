// The preset cache: where downloaded presets live, and the marker that says a folder is complete.
//
// Root: TENSORZOO_CACHE, else $XDG_CACHE_HOME/tensorzoo, else ~/.cache/tensorzoo (on Windows
// %LOCALAPPDATA%\tensorzoo when set). Layout under it:
//   kaggle/<owner>/<model>/<framework>/<variation>/<version>/...preset files
//   huggingface/<owner>/<repository>/...preset files
// Every file is written atomically (download.ts: ".partial" then rename), and the completeness
// marker is written last, also atomically, so a folder with a marker can be used offline.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { HuggingFaceHandle, KaggleHandle } from './handles.js';
import type { Environment } from './hubs.js';

export const completeMarkerName = '.tensorzoo-complete.json';

export function presetCacheRoot(env: Environment, platform: string = process.platform): string {
  const explicit = env['TENSORZOO_CACHE'];
  if (explicit) return explicit;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg) return join(xdg, 'tensorzoo');
  const localAppData = env['LOCALAPPDATA'];
  if (platform === 'win32' && localAppData) return join(localAppData, 'tensorzoo');
  return join(homedir(), '.cache', 'tensorzoo');
}

export function kaggleCacheDirectory(root: string, handle: KaggleHandle, version: number): string {
  return join(root, 'kaggle', handle.owner, handle.model, handle.framework, handle.variation, String(version));
}

export function kaggleVariationDirectory(root: string, handle: KaggleHandle): string {
  return join(root, 'kaggle', handle.owner, handle.model, handle.framework, handle.variation);
}

export function huggingFaceCacheDirectory(root: string, handle: HuggingFaceHandle): string {
  return join(root, 'huggingface', handle.owner, handle.repository);
}

/** What a complete cached preset holds. */
export interface CompleteMarker {
  readonly handle: string;
  readonly format: 'keras' | 'transformers';
  /** Files present, preset-relative with '/' separators. */
  readonly files: readonly string[];
  /** Optional files the hub does not have (so offline use need not ask again). */
  readonly absent: readonly string[];
  /** Whether weight files were fetched (a cache without them cannot serve loadWeights). */
  readonly includesWeights: boolean;
  readonly completedAt: string;
}

/** Writes `data` to `path` through a uniquely named temporary file and a rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function writeCompleteMarker(directory: string, marker: CompleteMarker): Promise<void> {
  await writeFileAtomic(join(directory, completeMarkerName), `${JSON.stringify(marker, null, 2)}\n`);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The marker of a complete cached preset that satisfies the request, or undefined. A marker whose
 * files are no longer all on disk does not count (the folder is then downloaded again).
 */
export async function readCompleteMarker(directory: string, needsWeights: boolean): Promise<CompleteMarker | undefined> {
  let marker: CompleteMarker;
  try {
    marker = JSON.parse(await readFile(join(directory, completeMarkerName), 'utf8')) as CompleteMarker;
  } catch {
    return undefined;
  }
  if (!Array.isArray(marker.files) || !Array.isArray(marker.absent)) return undefined;
  if (needsWeights && marker.includesWeights !== true) return undefined;
  for (const file of marker.files) if (!(await isFile(join(directory, ...file.split('/'))))) return undefined;
  return marker;
}

export async function removeCompleteMarker(directory: string): Promise<void> {
  await rm(join(directory, completeMarkerName), { force: true });
}

export async function ensureDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}
