// Which files make up a preset, decided the way KerasHub decides (spec gemma.md §3.2, §3.3, §4.5):
// config.json comes first; a `registered_name` key means a KerasHub preset, a `model_type` key a
// Hugging Face (transformers) checkpoint.
//
//   KerasHub: metadata.json, tokenizer.json, preprocessor.json and task.json when present, the
//     tokenizer's asset assets/tokenizer/vocabulary.spm when tokenizer.json is present, and the
//     weights: model.weights.h5, else the sharded model.weights.json and every shard its
//     weight_map names (KerasHub checks the single file first).
//   Transformers: model.safetensors.index.json and its shards, else model.safetensors (KerasHub's
//     safetensor loader checks the index first), and tokenizer.model when present.
//
// The same walk serves hub downloads and local folders: only `PresetSource.fetch` differs.
// Shard names come from files a hub serves, so they are validated before they become paths.
import { TensorzooError } from '@tensorzoo/core';
import { PresetFileNotFoundError } from './errors.js';

export type PresetFormat = 'keras' | 'transformers';

export interface PresetSource {
  /** A readable name for messages (the handle). */
  readonly preset: string;
  /**
   * Makes `file` available locally. Returns false when the file does not exist and `optional`
   * is set; a missing required file throws PresetFileNotFoundError.
   */
  fetch(file: string, optional: boolean): Promise<boolean>;
  /** Reads a file already made available, as JSON. */
  readJson(file: string): Promise<unknown>;
}

export interface PresetFileList {
  readonly format: PresetFormat;
  readonly files: string[];
  readonly absent: string[];
}

/**
 * Checks a file name taken from an index file: relative, '/'-separated, no '..' or '.' segments,
 * no backslashes, no drive letters, no control characters.
 */
export function validateShardName(name: unknown, indexFile: string, preset: string): string {
  const reject = (reason: string): never => {
    throw new TensorzooError(
      `resolvePreset: ${indexFile} in preset \`${preset}\` names the shard ${JSON.stringify(name)}, which ${reason}; ` +
        `shard names must be relative file names inside the preset`,
    );
  };
  if (typeof name !== 'string' || name.length === 0) return reject('is not a non-empty string');
  if (name.includes('\\')) reject('contains a backslash');
  if (name.startsWith('/')) reject('is an absolute path');
  if (/^[A-Za-z]:/.test(name)) reject('starts with a drive letter');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) reject('contains control characters');
  for (const segment of name.split('/')) {
    if (segment === '..') reject("contains a '..' segment");
    if (segment === '' || segment === '.') reject('has an empty or "." path segment');
  }
  return name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The distinct shard names of an index's weight_map (values are names or lists of names). */
export function shardNamesOf(index: unknown, indexFile: string, preset: string): string[] {
  if (!isRecord(index) || !isRecord(index['weight_map']))
    throw new TensorzooError(`resolvePreset: ${indexFile} in preset \`${preset}\` has no "weight_map" object`);
  const names = new Set<string>();
  for (const value of Object.values(index['weight_map'])) {
    const shards = Array.isArray(value) ? value : [value];
    for (const shard of shards) names.add(validateShardName(shard, indexFile, preset));
  }
  if (names.size === 0) throw new TensorzooError(`resolvePreset: ${indexFile} in preset \`${preset}\` lists no shards`);
  return [...names];
}

export function presetFormatOf(config: unknown, preset: string): PresetFormat {
  if (isRecord(config) && 'registered_name' in config) return 'keras';
  if (isRecord(config) && 'model_type' in config) return 'transformers';
  const detail =
    isRecord(config) && 'architecture' in config
      ? 'it has an "architecture" key (a timm checkpoint), which tensorzoo does not load'
      : 'it has neither "registered_name" (KerasHub) nor "model_type" (Hugging Face transformers)';
  throw new TensorzooError(`resolvePreset: unrecognized format for config.json in preset \`${preset}\`: ${detail}`);
}

/** Fetches every file the preset needs through `source`; returns what is there and what is not. */
export async function collectPresetFiles(source: PresetSource, includeWeights: boolean): Promise<PresetFileList> {
  const files: string[] = [];
  const absent: string[] = [];
  const take = async (file: string, optional: boolean): Promise<boolean> => {
    const present = await source.fetch(file, optional);
    (present ? files : absent).push(file);
    return present;
  };

  await take('config.json', false);
  const format = presetFormatOf(await source.readJson('config.json'), source.preset);

  if (format === 'keras') {
    await take('metadata.json', true);
    const hasTokenizer = await take('tokenizer.json', true);
    await take('preprocessor.json', true);
    await take('task.json', true);
    if (hasTokenizer) await take('assets/tokenizer/vocabulary.spm', false);
    if (includeWeights && !(await take('model.weights.h5', true))) {
      if (!(await take('model.weights.json', true)))
        throw new PresetFileNotFoundError(source.preset, 'model.weights.h5 (nor the sharded model.weights.json)');
      const shards = shardNamesOf(await source.readJson('model.weights.json'), 'model.weights.json', source.preset);
      for (const shard of shards) await take(shard, false);
    }
  } else {
    if (includeWeights) {
      if (await take('model.safetensors.index.json', true)) {
        const index = await source.readJson('model.safetensors.index.json');
        const shards = shardNamesOf(index, 'model.safetensors.index.json', source.preset);
        for (const shard of shards) await take(shard, false);
      } else await take('model.safetensors', false);
    }
    await take('tokenizer.model', true);
  }
  return { format, files, absent };
}
