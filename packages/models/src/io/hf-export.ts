// Exporting a GemmaBackbone's weights as a Hugging Face transformers folder, as KerasHub's
// `export_to_transformers` does (spec §3.8) but without its limitations: `model_type` "gemma2"
// for Gemma 2 (post norms, soft caps and sliding window kept), every key/value head kept, and the
// query/output reshapes right for any hiddenDim (gemma-hf-layout.ts).
//
// Files: config.json, generation_config.json, model.safetensors (or model-0000i-of-0000n
// .safetensors with model.safetensors.index.json above `maxShardSizeBytes`, transformers' 5 GB
// default), tokenizer.model (the preset's SentencePiece model) and tokenizer_config.json. Tensors
// are read, converted and written one at a time (safetensors-write streams them); the folder is
// written under a temporary name and renamed into place.

import { CheckpointError } from './errors.js';
import { writeJson, writeFileAtomic } from './files.js';
import { convertToHf, gemmaHfTensorPlans, type GemmaHfLayoutConfig } from './gemma-hf-layout.js';
import { baseName, joinPath, parentFolder } from './paths.js';
import { writeSafetensorsSharded } from './safetensors-write.js';
import { float16BitsToFloat32, float32ToBfloat16Bits, toFloat32, type StoredTensor } from './stored-tensor.js';
import { streamLoaded, type StreamedTensor } from './streamed-tensor.js';
import { float32ToFloat16Bits } from './gguf-format.js';

/** Everything an exporter needs from a preset, independent of where it lives. */
export interface GemmaExportSource {
  /** For names in the files (`general.name`). */
  name: string;
  config: GemmaHfLayoutConfig & {
    queryHeadDimNormalize: boolean;
    queryPreAttentionScalar: number | null;
    attentionLogitSoftCap: number | null;
    finalLogitSoftCap: number | null;
    useSlidingWindowAttention: boolean;
    slidingWindowSize: number;
    layerNormEpsilon: number;
  };
  /** The dtype the weights are stored in (the export's default). */
  storedDtype: FloatExportType;
  /** The SentencePiece model bytes (tokenizer.model / vocabulary.spm). */
  vocabulary: Uint8Array;
  /** `<bos>`, `<eos>`, `<pad>` and the unknown piece's ids. */
  specialTokens: { bos: number; eos: number; pad: number; unk: number };
  /** Reads one variable (Keras layout, float32 / bfloat16 / float16) by variable path. */
  readVariable(path: string): StoredTensor;
}

export type FloatExportType = 'float32' | 'bfloat16' | 'float16';

/** A floating tensor in another floating dtype (bf16 and f16 rounded to nearest even). */
export function castFloat(tensor: StoredTensor, dtype: FloatExportType): StoredTensor {
  if (tensor.dtype === dtype) return tensor;
  const values = tensor.dtype === 'float16' ? float16BitsToFloat32(tensor.data as Uint16Array) : toFloat32(tensor);
  const data = dtype === 'float32' ? values : dtype === 'bfloat16' ? float32ToBfloat16Bits(values) : float32ToFloat16Bits(values);
  return { shape: tensor.shape, dtype, data };
}

/** transformers' model_type for this configuration, or an error naming what HF cannot express. */
export function huggingFaceModelType(config: GemmaExportSource['config']): 'gemma' | 'gemma2' {
  const gemma2 = config.usePostAttentionNorm && config.usePostFfwNorm;
  if (gemma2) {
    if (!config.useSlidingWindowAttention)
      throw new CheckpointError('a Gemma 2 configuration (post norms) without sliding-window attention has no Hugging Face equivalent (transformers\' gemma2 always slides on even layers)');
    return 'gemma2';
  }
  const extras = (['usePostAttentionNorm', 'usePostFfwNorm', 'useSlidingWindowAttention'] as const).filter((key) => config[key]);
  if (config.attentionLogitSoftCap !== null || config.finalLogitSoftCap !== null) extras.push('soft caps' as never);
  if (extras.length > 0) throw new CheckpointError(`a Gemma 1 configuration with ${extras.join(', ')} has no Hugging Face equivalent (model_type gemma has none of them)`);
  const scalar = config.queryPreAttentionScalar ?? (config.queryHeadDimNormalize ? config.headDim : Math.floor(config.hiddenDim / config.numQueryHeads));
  if (scalar !== config.headDim)
    throw new CheckpointError(`transformers' gemma scales queries by head_dim ** -0.5 (${config.headDim}); this configuration uses ${scalar} ** -0.5`);
  return 'gemma';
}

/** The query scale's square (query_pre_attn_scalar) this configuration computes with. */
export function queryPreAttentionScalarOf(config: GemmaExportSource['config']): number {
  return config.queryPreAttentionScalar ?? (config.queryHeadDimNormalize ? config.headDim : Math.floor(config.hiddenDim / config.numQueryHeads));
}

/** config.json in transformers 5's layout (as the project's Hugging Face fixtures have it). */
export function huggingFaceConfig(source: GemmaExportSource, dtype: FloatExportType): Record<string, unknown> {
  const { config, specialTokens } = source;
  const modelType = huggingFaceModelType(config);
  const common = {
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: specialTokens.bos,
    dtype,
    eos_token_id: specialTokens.eos,
    head_dim: config.headDim,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: config.hiddenDim,
    initializer_range: 0.02,
    intermediate_size: config.intermediateDim / 2,
    max_position_embeddings: 8192,
    model_type: modelType,
    num_attention_heads: config.numQueryHeads,
    num_hidden_layers: config.numLayers,
    num_key_value_heads: config.numKeyValueHeads,
    pad_token_id: specialTokens.pad,
    rms_norm_eps: config.layerNormEpsilon,
    rope_parameters: { rope_theta: 10000.0, rope_type: 'default' },
    tie_word_embeddings: true,
    use_cache: true,
    vocab_size: config.vocabularySize,
  };
  if (modelType === 'gemma') return { architectures: ['GemmaForCausalLM'], hidden_act: 'gelu_pytorch_tanh', ...common };
  return {
    architectures: ['Gemma2ForCausalLM'],
    ...common,
    attn_logit_softcapping: config.attentionLogitSoftCap,
    final_logit_softcapping: config.finalLogitSoftCap,
    layer_types: Array.from({ length: config.numLayers }, (_, index) => (index % 2 === 0 ? 'sliding_attention' : 'full_attention')),
    query_pre_attn_scalar: queryPreAttentionScalarOf(config),
    sliding_window: config.slidingWindowSize,
  };
}

export interface ExportHuggingFaceOptions {
  /** Element type of the safetensors (default: each tensor's stored type). */
  dtype?: FloatExportType;
  /** Shard above this many bytes (default 5e9, transformers' default `max_shard_size`). */
  maxShardSizeBytes?: number;
}

/** A hidden sibling of `out` to build a folder in before renaming it into place. */
export function temporaryFolderFor(out: string): string {
  const trimmed = out.replace(/\/+$/, '');
  return joinPath(parentFolder(trimmed), `.${baseName(trimmed)}.${typeof process === 'undefined' ? 0 : process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Writes the Hugging Face folder `out` (must not exist or be empty); returns the file names. */
export async function exportGemmaToHuggingFace(source: GemmaExportSource, out: string, options: ExportHuggingFaceOptions = {}): Promise<string[]> {
  const plans = gemmaHfTensorPlans(source.config);
  const dtype = options.dtype ?? source.storedDtype;
  const config = huggingFaceConfig(source, dtype);
  const tensors = new Map<string, StreamedTensor>();
  for (const plan of plans) {
    tensors.set(plan.name, streamLoaded(plan.shape, dtype, () => castFloat(convertToHf(plan, source.readVariable(plan.variable)), dtype).data));
  }
  const { mkdir, readdir, rename, rm, rmdir } = await import('node:fs/promises');
  // Refuse a non-empty destination before any work (rmdir below only removes an empty one).
  const existing = await readdir(out).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
  if (existing.length > 0) throw new CheckpointError(`the destination must be a new or empty folder; it holds ${existing.length} entries`, { file: out });
  const temporary = temporaryFolderFor(out);
  await mkdir(temporary, { recursive: true });
  try {
    const files = await writeSafetensorsSharded(temporary, tensors, { maxShardSizeBytes: options.maxShardSizeBytes ?? 5e9, metadata: { format: 'pt' } });
    await writeJson(joinPath(temporary, 'config.json'), config, { indent: 2 });
    await writeJson(
      joinPath(temporary, 'generation_config.json'),
      { bos_token_id: source.specialTokens.bos, eos_token_id: source.specialTokens.eos, pad_token_id: source.specialTokens.pad, cache_implementation: config.model_type === 'gemma2' ? 'hybrid' : undefined },
      { indent: 2 },
    );
    await writeFileAtomic(joinPath(temporary, 'tokenizer.model'), source.vocabulary);
    await writeJson(
      joinPath(temporary, 'tokenizer_config.json'),
      { add_bos_token: true, add_eos_token: false, bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>', tokenizer_class: 'GemmaTokenizer', spaces_between_special_tokens: false },
      { indent: 2 },
    );
    await rmdir(out).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new CheckpointError(`the destination exists and is not an empty folder (${error.code})`, { file: out });
    });
    await rename(temporary, out);
    return [...files, 'config.json', 'generation_config.json', 'tokenizer.model', 'tokenizer_config.json'].sort();
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}
