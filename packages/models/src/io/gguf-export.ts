// Exporting a GemmaBackbone as a GGUF file that llama.cpp (and so ollama) runs: llama.cpp's
// `gemma` / `gemma2` architecture metadata and tensor names, as its convert_hf_to_gguf.py writes
// them from the Hugging Face layout (gemma-hf-layout.ts), with the SentencePiece vocabulary
// embedded (tokenizer.ggml.*).
//
//   HF tensor                                   GGUF tensor
//   model.embed_tokens.weight                   token_embd.weight (the output projection too: tied)
//   model.layers.i.input_layernorm.weight       blk.i.attn_norm.weight
//   ….self_attn.{q,k,v,o}_proj.weight           blk.i.attn_{q,k,v,output}.weight
//   ….post_attention_layernorm.weight           blk.i.post_attention_norm.weight (gemma2)
//                                               blk.i.ffn_norm.weight (gemma)
//   ….pre_feedforward_layernorm.weight          blk.i.ffn_norm.weight (gemma2)
//   ….post_feedforward_layernorm.weight         blk.i.post_ffw_norm.weight (gemma2)
//   ….mlp.{gate,up,down}_proj.weight            blk.i.ffn_{gate,up,down}.weight
//   model.norm.weight                           output_norm.weight
//
// As the converter does: norm weights become 1 + w (llama.cpp's RMS norm multiplies by w; Gemma's
// by 1 + w; computed here in float32, the converter adds in the checkpoint's dtype), norms and
// other 1-D tensors stay F32 whatever the type, matrices get the chosen type (F32, F16, BF16,
// Q8_0). GGUF dimensions are the numpy shape reversed. llama.cpp picks the query scale by model
// size (1/sqrt(hiddenDim / numQueryHeads) for a 46-layer Gemma 2, the "27B", else
// 1/sqrt(headDim)); a configuration that scales differently is refused rather than exported wrong.

import { CheckpointError } from './errors.js';
import { LLAMA_FILE_TYPE, GGML_QUANT_VERSION, type GgmlTypeName, type GgufValue } from './gguf-format.js';
import { writeGguf, type GgufTensor } from './gguf-write.js';
import { convertToHf, gemmaHfTensorPlans } from './gemma-hf-layout.js';
import { huggingFaceModelType, queryPreAttentionScalarOf, type GemmaExportSource } from './hf-export.js';
import { toFloat32 } from './stored-tensor.js';
import { streamLoaded } from './streamed-tensor.js';
import { parseModelProto } from '../tokenizer/model-proto.js';

export type GgufExportType = 'f32' | 'f16' | 'bf16' | 'q8_0';

const MATRIX_TYPE: Record<GgufExportType, GgmlTypeName> = { f32: 'F32', f16: 'F16', bf16: 'BF16', q8_0: 'Q8_0' };

/** HF tensor name → GGUF tensor name (llama.cpp's tensor_mapping for Gemma). */
export function ggufTensorName(hfName: string, gemma2: boolean): string {
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hfName === 'model.norm.weight') return 'output_norm.weight';
  const match = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(hfName);
  if (!match) throw new CheckpointError(`no GGUF name for ${hfName}`);
  const names: Record<string, string> = {
    input_layernorm: 'attn_norm',
    'self_attn.q_proj': 'attn_q',
    'self_attn.k_proj': 'attn_k',
    'self_attn.v_proj': 'attn_v',
    'self_attn.o_proj': 'attn_output',
    post_attention_layernorm: gemma2 ? 'post_attention_norm' : 'ffn_norm',
    pre_feedforward_layernorm: 'ffn_norm',
    post_feedforward_layernorm: 'post_ffw_norm',
    'mlp.gate_proj': 'ffn_gate',
    'mlp.up_proj': 'ffn_up',
    'mlp.down_proj': 'ffn_down',
  };
  const name = names[match[2]!];
  if (name === undefined) throw new CheckpointError(`no GGUF name for ${hfName}`);
  return `blk.${match[1]}.${name}.weight`;
}

/** The query scale llama.cpp will use for this architecture (see the file comment). */
export function llamaCppQueryScale(config: GemmaExportSource['config'], architecture: 'gemma' | 'gemma2'): number {
  if (architecture === 'gemma2' && config.numLayers === 46) return 1 / Math.sqrt(Math.floor(config.hiddenDim / config.numQueryHeads));
  return 1 / Math.sqrt(config.headDim);
}

/** The tokenizer.ggml.* metadata from a SentencePiece model, padded to the vocabulary size. */
export function ggufTokenizerMetadata(source: GemmaExportSource): [string, GgufValue][] {
  const proto = parseModelProto(source.vocabulary);
  const size = source.config.vocabularySize;
  if (proto.pieces.length > size)
    throw new CheckpointError(`the tokenizer has ${proto.pieces.length} pieces but the model only ${size} embedding rows`, { tensor: 'tokenizer.ggml.tokens' });
  const tokens: string[] = [];
  const scores = new Float32Array(size);
  const types = new Int32Array(size);
  for (let id = 0; id < size; id++) {
    const piece = proto.pieces[id];
    // Rows without a piece: the converter's padding ([PAD<id>], score -10000, UNUSED).
    tokens.push(piece ? piece.piece : `[PAD${id}]`);
    scores[id] = piece ? piece.score : -10000;
    types[id] = piece ? piece.type : 5;
  }
  const { bos, eos, pad, unk } = source.specialTokens;
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', values: scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: types }],
    ['tokenizer.ggml.bos_token_id', { type: 'uint32', value: bos }],
    ['tokenizer.ggml.eos_token_id', { type: 'uint32', value: eos }],
    ['tokenizer.ggml.unknown_token_id', { type: 'uint32', value: unk }],
    ['tokenizer.ggml.padding_token_id', { type: 'uint32', value: pad }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: proto.normalizerSpec.addDummyPrefix }],
  ];
}

/** Metadata and tensors of the GGUF file (without writing it). */
export function planGemmaGguf(source: GemmaExportSource, type: GgufExportType): { metadata: [string, GgufValue][]; tensors: GgufTensor[] } {
  const { config } = source;
  if (!(type in MATRIX_TYPE)) throw new CheckpointError(`GGUF type must be one of ${Object.keys(MATRIX_TYPE).join(', ')}, got ${JSON.stringify(type)}`);
  const architecture = huggingFaceModelType(config);
  const ours = 1 / Math.sqrt(queryPreAttentionScalarOf(config));
  const theirs = llamaCppQueryScale(config, architecture);
  if (Math.abs(ours - theirs) > 1e-7 * theirs)
    throw new CheckpointError(`llama.cpp would scale queries by ${theirs} (it decides by layer count), this configuration by ${ours}; the GGUF would compute a different model`);
  const gemma2 = architecture === 'gemma2';
  if (gemma2 && (config.attentionLogitSoftCap === null || config.finalLogitSoftCap === null))
    throw new CheckpointError("llama.cpp's gemma2 always applies both soft caps; this configuration has none (null)");
  const prefix = architecture;
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: architecture }],
    ['general.type', { type: 'string', value: 'model' }],
    ['general.name', { type: 'string', value: source.name }],
    ['general.file_type', { type: 'uint32', value: LLAMA_FILE_TYPE[MATRIX_TYPE[type]] }],
    ['general.quantization_version', { type: 'uint32', value: GGML_QUANT_VERSION }],
    [`${prefix}.context_length`, { type: 'uint32', value: 8192 }],
    [`${prefix}.embedding_length`, { type: 'uint32', value: config.hiddenDim }],
    [`${prefix}.block_count`, { type: 'uint32', value: config.numLayers }],
    [`${prefix}.feed_forward_length`, { type: 'uint32', value: config.intermediateDim / 2 }],
    [`${prefix}.attention.head_count`, { type: 'uint32', value: config.numQueryHeads }],
    [`${prefix}.attention.head_count_kv`, { type: 'uint32', value: config.numKeyValueHeads }],
    [`${prefix}.attention.layer_norm_rms_epsilon`, { type: 'float32', value: config.layerNormEpsilon }],
    [`${prefix}.attention.key_length`, { type: 'uint32', value: config.headDim }],
    [`${prefix}.attention.value_length`, { type: 'uint32', value: config.headDim }],
  ];
  if (gemma2) {
    metadata.push(
      [`${prefix}.attn_logit_softcapping`, { type: 'float32', value: config.attentionLogitSoftCap! }],
      [`${prefix}.final_logit_softcapping`, { type: 'float32', value: config.finalLogitSoftCap! }],
      [`${prefix}.attention.sliding_window`, { type: 'uint32', value: config.slidingWindowSize }],
    );
  }
  metadata.push(...ggufTokenizerMetadata(source));
  const tensors: GgufTensor[] = gemmaHfTensorPlans(config).map((plan) => {
    const stored = plan.isNorm ? 'float32' : source.storedDtype;
    return {
      name: ggufTensorName(plan.name, gemma2),
      type: plan.isNorm ? 'F32' : MATRIX_TYPE[type],
      data: streamLoaded(plan.shape, stored, () => {
        const converted = convertToHf(plan, source.readVariable(plan.variable));
        if (!plan.isNorm) {
          if (converted.dtype !== stored) throw new CheckpointError(`stored as ${converted.dtype}, the preset says ${stored}`, { tensor: plan.variable });
          return converted.data;
        }
        // 1 + w in float32 (a fresh array: toFloat32 returns float32 data as is).
        return Float32Array.from(toFloat32(converted), (value) => Math.fround(1 + value));
      }),
    };
  });
  return { metadata, tensors };
}

/** Writes the GGUF file `out`; returns its size in bytes. */
export async function exportGemmaToGguf(
  source: GemmaExportSource,
  out: string,
  options: { type?: GgufExportType; onProgress?: (event: { label: string; loaded: number; total: number; unit: 'bytes' }) => void } = {},
): Promise<number> {
  const plan = planGemmaGguf(source, options.type ?? (source.storedDtype === 'float32' ? 'f32' : source.storedDtype === 'bfloat16' ? 'bf16' : 'f16'));
  return writeGguf(out, { ...plan, onProgress: options.onProgress });
}
