// `tensorzoo init --config <preset> --random`: a complete KerasHub preset folder with seeded random
// weights for any built-in architecture, so real-size runs and benchmarks need no download.
//
// Files, as KerasHub's GemmaCausalLM.save_to_preset writes them: config.json, metadata.json,
// task.json, preprocessor.json, tokenizer.json, assets/tokenizer/vocabulary.spm and the weights
// (model.weights.h5, or model.weights.json with model_00000.weights.h5, ... above KerasHub's
// default max_shard_size of 10 GiB). Weights are produced and written one slab at a time
// (random-weights.ts, io StreamedTensor), never the whole model in memory. Everything is written
// into a hidden temporary folder beside the destination, which is renamed into place at the end,
// so a crash or an error leaves no half-written preset.
//
// The vocabulary is the embedded model's, padded to the architecture's size (padded-vocabulary.ts
// says why and how).

import { mkdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TensorzooError } from '@tensorzoo/core';
import { defaultPresetPath } from '../gemma/gemma-from-preset.js';
import { gemmaParameterCount, gemmaVariableSpecs, resolveGemmaConfig, toKerasConfig, type GemmaBackboneConfig, type ResolvedGemmaConfig } from '../gemma/gemma-config.js';
import { kerasHubVersion, kerasVersion } from '../gemma/gemma-save.js';
import { gemmaKerasGroups, gemmaWeightEntries } from '../io/gemma-h5-layout.js';
import { writeFileAtomic, writeJson } from '../io/files.js';
import { writeKerasWeights } from '../io/keras-weights-write.js';
import { storedByteLength } from '../io/stored-tensor.js';
import type { StreamedTensor } from '../io/streamed-tensor.js';
import { getGemmaPreset } from './gemma-presets.js';
import { padSentencePieceModel } from './padded-vocabulary.js';
import { randomVariable, type RandomWeightsDType } from './random-weights.js';

export interface RandomPresetOptions {
  /** A built-in preset name (`gemmaPresetNames`): its architecture is used. */
  preset: string;
  /** Storage dtype of the weights and of the saved policy. */
  dtype: RandomWeightsDType;
  /** Destination folder; must not exist yet (or be an empty folder). */
  out: string;
  /** Seed of every variable's stream (default 0). */
  seed?: number;
  /** Shard above this many GiB (KerasHub's max_shard_size, default 10); null: never shard. */
  maxShardSize?: number | null;
  /** Changes to the architecture (tests use fewer layers or a smaller vocabulary). */
  config?: Partial<GemmaBackboneConfig>;
  /** The SentencePiece model to pad (default: the embedded model's vocabulary.spm). */
  vocabulary?: Uint8Array;
  /** Called as weight bytes are produced. */
  onProgress?: (event: { label: string; loaded: number; total: number; unit: 'bytes' }) => void;
}

export interface RandomPresetResult {
  out: string;
  config: ResolvedGemmaConfig;
  parameterCount: number;
  weightBytes: number;
  /** Every file written, relative to `out`. */
  files: string[];
}

const policy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

function serializedTokenizer() {
  return {
    module: 'keras_hub.src.models.gemma.gemma_tokenizer',
    class_name: 'GemmaTokenizer',
    config: { name: 'gemma_tokenizer', trainable: true, dtype: policy('int32'), config_file: 'tokenizer.json', proto: null, sequence_length: null, add_bos: false, add_eos: false },
    registered_name: 'keras_hub>GemmaTokenizer',
  };
}

function serializedPreprocessor() {
  return {
    module: 'keras_hub.src.models.gemma.gemma_causal_lm_preprocessor',
    class_name: 'GemmaCausalLMPreprocessor',
    config: {
      name: 'gemma_causal_lm_preprocessor',
      trainable: true,
      dtype: policy('float32'),
      tokenizer: serializedTokenizer(),
      config_file: 'preprocessor.json',
      sequence_length: 1024,
      add_start_token: true,
      add_end_token: true,
    },
    registered_name: 'keras_hub>GemmaCausalLMPreprocessor',
  };
}

function dateSaved(now = new Date()): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
}

/** The destination must be new (or an empty folder): a random preset never replaces a real one. */
async function checkDestination(out: string): Promise<void> {
  const { readdir } = await import('node:fs/promises');
  const info = await stat(out).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
  if (info === null) return;
  if (!info.isDirectory() || (await readdir(out)).length > 0)
    throw new TensorzooError(`writeRandomPreset: argument 'out' expected a new or empty folder, received ${JSON.stringify(out)}, which ${info.isDirectory() ? 'is not empty' : 'is a file'}`);
}

/** Wraps a streamed tensor to report produced bytes. */
function reporting(tensor: StreamedTensor, report: (bytes: number) => void): StreamedTensor {
  return {
    shape: tensor.shape,
    dtype: tensor.dtype,
    produce: (maxSlabRows, write) =>
      tensor.produce(maxSlabRows, (slab, firstRow, rowCount) => {
        write(slab, firstRow, rowCount);
        report(slab.byteLength);
      }),
  };
}

/** Writes a random preset of `options.preset`'s architecture to `options.out` (see the file comment). */
export async function writeRandomPreset(options: RandomPresetOptions): Promise<RandomPresetResult> {
  const { dtype, out } = options;
  if (dtype !== 'float32' && dtype !== 'bfloat16') throw new TensorzooError(`writeRandomPreset: argument 'dtype' expected 'float32' or 'bfloat16', received ${JSON.stringify(dtype)}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TensorzooError(`writeRandomPreset: argument 'seed' expected a non-negative integer, received ${JSON.stringify(seed)}`);
  const preset = getGemmaPreset(options.preset);
  const { dtype: _savedDtype, ...architecture } = preset.config;
  const config = resolveGemmaConfig({ ...architecture, ...options.config, dtype } as GemmaBackboneConfig);
  await checkDestination(out);
  const vocabularySource = options.vocabulary ?? (await readFile(join(defaultPresetPath(), 'assets', 'tokenizer', 'vocabulary.spm')));
  const vocabulary = padSentencePieceModel(new Uint8Array(vocabularySource), config.vocabularySize);

  const specs = gemmaVariableSpecs(config);
  const weightBytes = specs.reduce((total, spec) => total + storedByteLength({ shape: spec.shape, dtype }), 0);
  let produced = 0;
  const variables = new Map<string, StreamedTensor>();
  for (const spec of specs) {
    variables.set(
      spec.path,
      reporting(randomVariable(spec.path, spec.shape, dtype, seed), (bytes) => {
        produced += bytes;
        options.onProgress?.({ label: 'writing weights', loaded: produced, total: weightBytes, unit: 'bytes' });
      }),
    );
  }

  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const temporary = join(parent, `.${basename(out)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  await mkdir(join(temporary, 'assets', 'tokenizer'), { recursive: true });
  try {
    const backbone = { module: 'keras_hub.src.models.gemma.gemma_backbone', class_name: 'GemmaBackbone', config: toKerasConfig(config), registered_name: 'keras_hub>GemmaBackbone' };
    // KerasHub's save order: task.json, the backbone's config, metadata and weights, then the
    // preprocessor, the tokenizer and its asset.
    await writeJson(
      join(temporary, 'task.json'),
      { module: 'keras_hub.src.models.gemma.gemma_causal_lm', class_name: 'GemmaCausalLM', config: { backbone, preprocessor: serializedPreprocessor(), name: 'gemma_causal_lm' }, registered_name: 'keras_hub>GemmaCausalLM' },
      { indent: 4 },
    );
    await writeJson(join(temporary, 'config.json'), backbone, { indent: 4 });
    await writeJson(
      join(temporary, 'metadata.json'),
      { keras_version: kerasVersion, keras_hub_version: kerasHubVersion, parameter_count: gemmaParameterCount(config), date_saved: dateSaved(), tasks: ['CausalLM'] },
      { indent: 4 },
    );
    const maxShardSize = options.maxShardSize === undefined ? 10 : options.maxShardSize;
    await writeKerasWeights(temporary, gemmaWeightEntries(variables, config), {
      groups: gemmaKerasGroups(config, { backboneName: config.name }),
      maxShardSizeBytes: maxShardSize === null ? undefined : maxShardSize * 1024 ** 3,
    });
    await writeJson(join(temporary, 'preprocessor.json'), serializedPreprocessor(), { indent: 4 });
    await writeJson(join(temporary, 'tokenizer.json'), serializedTokenizer(), { indent: 4 });
    await writeFileAtomic(join(temporary, 'assets', 'tokenizer', 'vocabulary.spm'), vocabulary);
    await rmdir(out).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error))); // empty (checked above)
    await rename(temporary, out);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(out, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(out.length + 1))
    .sort();
  return { out, config, parameterCount: gemmaParameterCount(config), weightBytes, files };
}
