// A Gemma preset held in memory (fetched over HTTP: browser-fetch.ts) → backbone, tokenizer and
// preprocessor settings. The same steps as gemma-loader.ts's folder loader (KerasHub dispatch,
// configuration checks before any layer is built, Keras h5 through h5wasm's in-memory build,
// safetensors through our reader, Hugging Face tensors converted as spec §3.5 says), reading
// bytes by file name instead of paths. Nothing here imports a Node module at run time.
import { tidy, TensorzooError } from '@tensorzoo/core';
import { gemmaH5PathFor, readKerasWeightsFromBytes, readSafetensorsFromBytes } from '../io/index.js';
import { GemmaBackbone } from '../gemma/gemma-backbone.js';
import { assignChecked, convertTransformersConfig, readKerasBackboneConfig, storedToTensor, transformersSource, type LoadOptions } from '../gemma/gemma-loader.js';
import { checkGemmaConfigBounds, checkGemmaConfigMemory, checkLayerCountAgainstWeights } from '../gemma/config-checks.js';
import { loadLayerWeightsInto } from '../gemma/gemma-layer-loader.js';
import { GemmaTokenizer, type GemmaTokenizerOptions } from '../tokenizer/index.js';
import type { PreprocessorConfig } from '../generation/gemma-causal-lm-preprocessor.js';
import { fetchPresetFiles, type FetchedPreset, type FetchPresetOptions } from './browser-fetch.js';

function label(preset: FetchedPreset, name: string): string {
  return `${preset.baseUrl}${name}`;
}

function json(preset: FetchedPreset, name: string): any {
  const bytes = preset.files.get(name);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new TensorzooError(`${label(preset, name)}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** Builds the backbone of a fetched preset and assigns its weights (unless loadWeights is false). */
export async function gemmaBackboneFromFiles(preset: FetchedPreset, options: LoadOptions = {}): Promise<GemmaBackbone> {
  const configFile = label(preset, 'config.json');
  const config = json(preset, 'config.json');
  const stored = preset.format === 'keras' ? readKerasBackboneConfig(config, configFile) : convertTransformersConfig(config, configFile);
  const merged = { ...stored, ...options.config };
  // Before any layer is built (config-checks.ts): sizes within bounds, memory, block count.
  checkGemmaConfigBounds(merged, undefined, configFile);
  checkGemmaConfigMemory(merged, configFile);
  const withWeights = options.loadWeights !== false;
  const weights = withWeights ? await (preset.format === 'keras' ? readKerasWeightsFromBytes(preset.files) : readSafetensorsFromBytes(preset.files)) : null;
  // h5wasm now holds its own copy of every .h5 file (its in-memory file system): drop the fetched
  // bytes so the weights are not in memory twice while the tensors are made. (The safetensors
  // reader reads the fetched bytes themselves.)
  if (weights && preset.format === 'keras') for (const name of [...preset.files.keys()]) if (name.endsWith('.h5')) preset.files.delete(name);
  let backbone: GemmaBackbone | null = null;
  try {
    if (weights) {
      const paths = 'paths' in weights ? weights.paths() : weights.keys();
      checkLayerCountAgainstWeights(merged.numLayers, paths, `${configFile}: number of layers`, weights.files.join(', '));
    }
    backbone = new GemmaBackbone({ ...merged, dtype: options.dtype ?? options.config?.dtype ?? 'float32' });
    if (weights && 'paths' in weights) {
      const keras = weights;
      if (Object.keys(backbone.config.quantizedLayers ?? {}).length > 0) {
        loadLayerWeightsInto(backbone, keras, preset.baseUrl, (loaded, total) => options.onProgress?.({ label: 'loading weights', loaded, total, unit: 'items' }));
      } else {
        const variables = backbone.weights;
        variables.forEach((variable, index) => {
          const h5Path = gemmaH5PathFor(variable.path, backbone!.config);
          if (!keras.has(h5Path)) throw new TensorzooError(`${preset.baseUrl}: the weights file has no tensor ${h5Path} (for ${variable.path})`);
          const value = storedToTensor(keras.get(h5Path));
          try {
            assignChecked(variable, value, preset.baseUrl, h5Path);
          } finally {
            value.dispose();
          }
          options.onProgress?.({ label: 'loading weights', loaded: index + 1, total: variables.length, unit: 'items' });
        });
      }
    } else if (weights) {
      const safetensors = weights;
      const variables = backbone.weights;
      variables.forEach((variable, index) => {
        const { key, convert } = transformersSource(variable.path, backbone!.config);
        if (!safetensors.has(key)) throw new TensorzooError(`${preset.baseUrl}: the safetensors checkpoint has no tensor ${key} (for ${variable.path})`);
        tidy(() => assignChecked(variable, convert(storedToTensor(safetensors.get(key))), preset.baseUrl, key));
        options.onProgress?.({ label: 'loading weights', loaded: index + 1, total: variables.length, unit: 'items' });
      });
    }
    if (options.quantize !== undefined) backbone.quantize(options.quantize);
    return backbone;
  } catch (error) {
    backbone?.dispose();
    throw error;
  } finally {
    weights?.close?.();
  }
}

/** The tokenizer of a fetched preset: tokenizer.json's settings and the SentencePiece proto. */
export function gemmaTokenizerFromFiles(preset: FetchedPreset): GemmaTokenizer {
  const options: GemmaTokenizerOptions = {};
  const saved = json(preset, 'tokenizer.json') as { config?: Record<string, unknown> } | undefined;
  const config = saved?.config ?? {};
  if (typeof config['sequence_length'] === 'number') options.sequenceLength = config['sequence_length'];
  if (typeof config['add_bos'] === 'boolean') options.addBos = config['add_bos'];
  if (typeof config['add_eos'] === 'boolean') options.addEos = config['add_eos'];
  if (typeof config['name'] === 'string') options.name = config['name'];
  const name = preset.format === 'keras' ? 'assets/tokenizer/vocabulary.spm' : 'tokenizer.model';
  const proto = preset.files.get(name);
  if (!proto) throw new TensorzooError(`${label(preset, name)}: the Gemma tokenizer vocabulary is missing from the preset`);
  return new GemmaTokenizer(proto, options);
}

/** preprocessor.json's sequence length and start/end tokens (empty when the preset has none). */
export function preprocessorConfigFromFiles(preset: FetchedPreset): PreprocessorConfig {
  const saved = json(preset, 'preprocessor.json') as { config?: Record<string, unknown> } | undefined;
  const config = saved?.config ?? {};
  return {
    sequenceLength: typeof config.sequence_length === 'number' ? config.sequence_length : undefined,
    addStartToken: typeof config.add_start_token === 'boolean' ? config.add_start_token : undefined,
    addEndToken: typeof config.add_end_token === 'boolean' ? config.add_end_token : undefined,
  };
}

export type FetchedLoadOptions = Omit<LoadOptions, 'onProgress'> &
  Omit<FetchPresetOptions, 'onProgress' | 'includeWeights'> & { onProgress?: NonNullable<LoadOptions['onProgress']> };

/** fromPreset's fetch path: the files (cached), then the backbone; download progress reported as bytes. */
export async function fetchGemmaPreset(preset: string, options: FetchedLoadOptions = {}): Promise<{ files: FetchedPreset; backbone: GemmaBackbone }> {
  const files = await fetchPresetFiles(preset, { ...options, includeWeights: options.loadWeights !== false, onProgress: options.onProgress });
  const backbone = await gemmaBackboneFromFiles(files, options);
  return { files, backbone };
}
