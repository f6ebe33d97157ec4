// GemmaBackbone variables in Hugging Face transformers' layout (the inverse of spec §3.5's table,
// which gemma-loader reads), on raw typed arrays so that exporters can convert one tensor at a
// time. Unlike KerasHub's exporter (spec §3.8) every head of key/value is kept, the query and
// output reshapes hold for any hiddenDim (KerasHub's are right only when hiddenDim equals
// numQueryHeads · headDim: its `q_proj` shape bug), and Gemma 2 norms keep their own names.
//
//   Keras variable (per block i)          HF tensor                                  transform
//   token_embedding/embeddings  [V, D]    model.embed_tokens.weight          [V, D]  none
//   pre_attention_norm/scale    [D]       model.layers.i.input_layernorm.weight       none
//   post_attention_norm/scale   [D]       ….post_attention_layernorm.weight (Gemma 2) none
//   pre_ffw_norm/scale          [D]       ….pre_feedforward_layernorm.weight (Gemma 2),
//                                         ….post_attention_layernorm.weight (Gemma 1) none
//   post_ffw_norm/scale         [D]       ….post_feedforward_layernorm.weight (Gemma 2) none
//   attention/query/kernel  [N, D, H]     ….self_attn.q_proj.weight     [N·H, D]  W[n·H+h, d] = k[n, d, h]
//   attention/key/kernel    [K, D, H]     ….self_attn.k_proj.weight     [K·H, D]  same
//   attention/value/kernel  [K, D, H]     ….self_attn.v_proj.weight     [K·H, D]  same
//   attention/attention_output/kernel [N, H, D]  ….self_attn.o_proj.weight [D, N·H]  W[d, n·H+h] = k[n, h, d]
//   ffw_gating/kernel   [D, F]            ….mlp.gate_proj.weight  [F, D]  transpose
//   ffw_gating_2/kernel [D, F]            ….mlp.up_proj.weight    [F, D]  transpose
//   ffw_linear/kernel   [F, D]            ….mlp.down_proj.weight  [D, F]  transpose
//   final_normalization/scale [D]         model.norm.weight               none

import { CheckpointError } from './errors.js';
import type { StoredData, StoredTensor } from './stored-tensor.js';

/** The configuration values the layout depends on. */
export interface GemmaHfLayoutConfig {
  numLayers: number;
  numQueryHeads: number;
  numKeyValueHeads: number;
  hiddenDim: number;
  headDim: number;
  intermediateDim: number;
  vocabularySize: number;
  /** Gemma 2 (both post norms): HF `gemma2` names. */
  usePostAttentionNorm: boolean;
  usePostFfwNorm: boolean;
}

export interface HfTensorPlan {
  /** Keras variable path. */
  variable: string;
  /** HF tensor name. */
  name: string;
  /** Shape in the HF checkpoint (numpy order). */
  shape: number[];
  /** RMSNorm scales (HF and Keras both compute x · (1 + w); llama.cpp wants 1 + w). */
  isNorm: boolean;
  /** Keras-layout data → HF-layout data (a new array, or the same one when nothing moves). */
  convert: (data: StoredData) => StoredData;
}

function newLike(data: StoredData): StoredData {
  return new (data.constructor as new (length: number) => StoredData)(data.length);
}

/** [rows, cols] → [cols, rows]. */
export function transpose2d(data: StoredData, rows: number, cols: number): StoredData {
  const out = newLike(data) as unknown as { [index: number]: unknown };
  const source = data as unknown as { [index: number]: unknown };
  // Blocks of 64 × 64 keep both sides in cache.
  for (let rowStart = 0; rowStart < rows; rowStart += 64) {
    const rowEnd = Math.min(rows, rowStart + 64);
    for (let colStart = 0; colStart < cols; colStart += 64) {
      const colEnd = Math.min(cols, colStart + 64);
      for (let row = rowStart; row < rowEnd; row++) for (let col = colStart; col < colEnd; col++) out[col * rows + row] = source[row * cols + col];
    }
  }
  return out as unknown as StoredData;
}

/** [heads, D, H] → [heads · H, D]: each head's [D, H] block transposed in place of the head. */
function headsToRows(data: StoredData, heads: number, hidden: number, headDim: number): StoredData {
  const out = newLike(data);
  const block = hidden * headDim;
  for (let head = 0; head < heads; head++) {
    const transposed = transpose2d(data.subarray(head * block, (head + 1) * block) as StoredData, hidden, headDim);
    (out as unknown as { set(source: unknown, offset: number): void }).set(transposed, head * block);
  }
  return out;
}

/** Every HF tensor of the backbone, in Keras weight order. */
export function gemmaHfTensorPlans(config: GemmaHfLayoutConfig): HfTensorPlan[] {
  const { numQueryHeads: N, numKeyValueHeads: K, hiddenDim: D, headDim: H, vocabularySize: V } = config;
  const F = config.intermediateDim / 2;
  const gemma2 = config.usePostAttentionNorm && config.usePostFfwNorm;
  if (config.usePostAttentionNorm !== config.usePostFfwNorm)
    throw new CheckpointError(`Hugging Face Gemma has both Gemma 2 post norms or neither; usePostAttentionNorm is ${config.usePostAttentionNorm}, usePostFfwNorm ${config.usePostFfwNorm}`);
  const same = (data: StoredData) => data;
  const plans: HfTensorPlan[] = [{ variable: 'token_embedding/embeddings', name: 'model.embed_tokens.weight', shape: [V, D], isNorm: false, convert: same }];
  for (let index = 0; index < config.numLayers; index++) {
    const block = `decoder_block_${index}`;
    const layer = `model.layers.${index}`;
    const norm = (variable: string, name: string): HfTensorPlan => ({ variable: `${block}/${variable}`, name: `${layer}.${name}`, shape: [D], isNorm: true, convert: same });
    plans.push(norm('pre_attention_norm/scale', 'input_layernorm.weight'));
    if (gemma2) plans.push(norm('post_attention_norm/scale', 'post_attention_layernorm.weight'));
    plans.push(
      { variable: `${block}/attention/query/kernel`, name: `${layer}.self_attn.q_proj.weight`, shape: [N * H, D], isNorm: false, convert: (data) => headsToRows(data, N, D, H) },
      { variable: `${block}/attention/key/kernel`, name: `${layer}.self_attn.k_proj.weight`, shape: [K * H, D], isNorm: false, convert: (data) => headsToRows(data, K, D, H) },
      { variable: `${block}/attention/value/kernel`, name: `${layer}.self_attn.v_proj.weight`, shape: [K * H, D], isNorm: false, convert: (data) => headsToRows(data, K, D, H) },
      { variable: `${block}/attention/attention_output/kernel`, name: `${layer}.self_attn.o_proj.weight`, shape: [D, N * H], isNorm: false, convert: (data) => transpose2d(data, N * H, D) },
    );
    plans.push(norm('pre_ffw_norm/scale', gemma2 ? 'pre_feedforward_layernorm.weight' : 'post_attention_layernorm.weight'));
    if (gemma2) plans.push(norm('post_ffw_norm/scale', 'post_feedforward_layernorm.weight'));
    plans.push(
      { variable: `${block}/ffw_gating/kernel`, name: `${layer}.mlp.gate_proj.weight`, shape: [F, D], isNorm: false, convert: (data) => transpose2d(data, D, F) },
      { variable: `${block}/ffw_gating_2/kernel`, name: `${layer}.mlp.up_proj.weight`, shape: [F, D], isNorm: false, convert: (data) => transpose2d(data, D, F) },
      { variable: `${block}/ffw_linear/kernel`, name: `${layer}.mlp.down_proj.weight`, shape: [D, F], isNorm: false, convert: (data) => transpose2d(data, F, D) },
    );
  }
  plans.push({ variable: 'final_normalization/scale', name: 'model.norm.weight', shape: [D], isNorm: true, convert: same });
  return plans;
}

/** Converts a stored Keras tensor with its plan, checking the element count. */
export function convertToHf(plan: HfTensorPlan, tensor: StoredTensor, where: { file?: string } = {}): StoredTensor {
  const expected = plan.shape.reduce((total, size) => total * size, 1);
  if (tensor.data.length !== expected)
    throw new CheckpointError(`has ${tensor.data.length} elements (shape ${JSON.stringify(tensor.shape)}), ${plan.name} needs ${expected} (${JSON.stringify(plan.shape)})`, { ...where, tensor: plan.variable });
  return { shape: plan.shape, dtype: tensor.dtype, data: plan.convert(tensor.data) };
}
