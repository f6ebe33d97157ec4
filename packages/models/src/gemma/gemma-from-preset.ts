// GemmaBackbone.fromPreset: a built-in name, kaggle://…, hf://… or a local folder (spec §3.3), or
// the embedded tinycode-gemma2-6m model when no preset is named.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { argumentError } from '@tensorzoo/core';
import { setRandomSeed } from '@tensorzoo/layers';
import { getGemmaPreset, isGemmaPresetName, resolvePreset, type ResolvePresetOptions } from '../presets/index.js';
import { GemmaBackbone } from './gemma-backbone.js';
import { convertTransformersConfig, detectPresetFormat, loadGemmaBackboneFromFolder, readKerasBackboneConfig, type LoadOptions, type LoadProgress } from './gemma-loader.js';
import type { GemmaBackboneConfig } from './gemma-config.js';
import { canQuantizeOnLoad, randomQuantizedBackbone } from './gemma-quantize-on-load.js';
import { join } from 'node:path';
import { isFetchedPreset, type FetchPresetOptions } from '../presets/browser-fetch.js';
import { fetchGemmaPreset } from '../presets/preset-from-files.js';

export interface FromPresetOptions extends LoadOptions, Omit<ResolvePresetOptions, 'onProgress'>, Pick<FetchPresetOptions, 'cache' | 'headers' | 'signal' | 'fetch'> {
  /** Seed for the random weights of `loadWeights: false` (reproducible architectures). */
  seed?: number;
}

// From src/gemma/ or dist/gemma/: the copy packed into the package (embedded/, made by the build),
// then the repository's models/ folder.
const embeddedCandidates = ['../../embedded/tinycode-gemma2-6m', '../../../../models/tinycode-gemma2-6m'];

/** The embedded default preset (tinycode-gemma2-6m, shipped with the package), or TENSORZOO_DEFAULT_PRESET. */
export function defaultPresetPath(): string {
  const fromEnvironment = process.env.TENSORZOO_DEFAULT_PRESET;
  if (fromEnvironment) return fromEnvironment;
  const paths = embeddedCandidates.map((candidate) => fileURLToPath(new URL(candidate, import.meta.url)));
  const found = paths.find((path) => existsSync(join(path, 'config.json')));
  if (!found) throw new Error(`the embedded default preset is missing: expected ${paths.join(' or ')} (set TENSORZOO_DEFAULT_PRESET or pass a preset)`);
  return found;
}

/** Resolves any handle to a local folder, downloading into the cache when needed. */
export async function presetFolder(preset: string | undefined, options: FromPresetOptions = {}): Promise<string> {
  if (preset === undefined) return defaultPresetPath();
  if (typeof preset !== 'string' || preset === '') argumentError('fromPreset', 'preset', 'a preset name, kaggle://…, hf://… or a folder', String(preset));
  const resolved = await resolvePreset(preset, {
    ...options,
    includeWeights: options.loadWeights !== false,
    onProgress: options.onProgress
      ? (event) => options.onProgress!({ label: event.file, loaded: event.loadedBytes, total: event.totalBytes ?? 0, unit: 'bytes' } satisfies LoadProgress)
      : undefined,
  });
  return resolved.directory;
}

export async function gemmaBackboneFromPreset(preset: string | undefined, options: FromPresetOptions = {}): Promise<GemmaBackbone> {
  if (preset !== undefined && isGemmaPresetName(preset) && options.loadWeights === false) {
    // The architecture alone: nothing is downloaded; weights are seeded random values.
    const { config } = getGemmaPreset(preset);
    if (options.seed !== undefined) setRandomSeed(options.seed);
    const resolved = { ...config, ...options.config, dtype: options.dtype ?? 'float32' } as GemmaBackboneConfig;
    // Built quantized; each float kernel drawn (seeded) and quantized on the host, never on the backend.
    if (options.quantize !== undefined && canQuantizeOnLoad(resolved, options.quantize)) return randomQuantizedBackbone(resolved, options.quantize, options);
    const backbone = new GemmaBackbone(resolved);
    if (options.quantize !== undefined) backbone.quantize(options.quantize);
    return backbone;
  }
  // URLs (and, outside Node, hf:// and paths): fetched into memory and cached (presets/browser-fetch.ts).
  if (isFetchedPreset(preset)) return (await fetchGemmaPreset(preset, options)).backbone;
  return loadGemmaBackboneFromFolder(await presetFolder(preset, options), options);
}

/** The backbone configuration of any preset; for remote handles only the small files are fetched. */
export async function presetBackboneConfig(preset: string | undefined, options: FromPresetOptions = {}): Promise<GemmaBackboneConfig> {
  if (preset !== undefined && isGemmaPresetName(preset)) return { ...getGemmaPreset(preset).config } as unknown as GemmaBackboneConfig;
  const folder = await presetFolder(preset, { ...options, loadWeights: false });
  const { format, config } = await detectPresetFormat(folder);
  const file = join(folder, 'config.json');
  return format === 'keras' ? readKerasBackboneConfig(config, file) : convertTransformersConfig(config, file);
}
