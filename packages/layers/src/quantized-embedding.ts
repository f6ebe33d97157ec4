// The quantized table of Embedding / ReversibleEmbedding, as Keras 3.16 (embedding.py,
// reversible_embedding.py) stores and uses it:
// - int8: `embeddings` int8 [inputDim, outputDim], `embeddings_scale` [inputDim] (abs-max per row).
// - int4 grouped (Keras's default, block 128): `embeddings` packed [inputDim, ceil(outputDim/2)],
//   `embeddings_scale` and `embeddings_zero` [inputDim, nGroups] (groups of `blockSize` along
//   outputDim), `g_idx` [outputDim]; per-channel int4: scale [inputDim], no zero, no g_idx.
// Lookups gather the stored rows (int8 stays int8) and dequantize only the gathered rows.
import * as tz from '@tensorzoo/core';
import { type DType, type Tensor } from '@tensorzoo/core';
import type { QuantizationMode } from './dtype-policy.js';
import { absMaxQuantizeGroupedHost, absMaxQuantizeHost, packInt4Host, unpackInt4Host } from './quantizers.js';
import type { Variable } from './variable.js';

export interface QuantizedTable {
  readonly mode: QuantizationMode;
  /** int4: groups along outputDim, or -1 per channel; int8: -1. */
  readonly blockSize: number;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddings: Variable;
  readonly scale: Variable;
  readonly zero: Variable | null;
  readonly gIdx: Variable | null;
}

type AddWeight = (name: string, shape: readonly number[], options: { dtype: DType; trainable: boolean; initializer?: string }) => Variable;

/** Keras's Embedding._int8_build / _int4_build: the variables, in Keras's order, non-trainable. */
export function buildQuantizedTable(addWeight: AddWeight, mode: QuantizationMode, blockSize: number, inputDim: number, outputDim: number): QuantizedTable {
  const grouped = mode === 'int4' && blockSize !== -1;
  const embeddings = addWeight('embeddings', mode === 'int8' ? [inputDim, outputDim] : [inputDim, Math.ceil(outputDim / 2)], { dtype: 'int8', trainable: false });
  const scaleShape = grouped ? [inputDim, Math.ceil(outputDim / blockSize)] : [inputDim];
  const scale = addWeight('embeddings_scale', scaleShape, { dtype: 'float32', trainable: false, initializer: 'ones' });
  let zero: Variable | null = null;
  let gIdx: Variable | null = null;
  if (grouped) {
    zero = addWeight('embeddings_zero', scaleShape, { dtype: 'int8', trainable: false });
    gIdx = addWeight('g_idx', [outputDim], { dtype: 'float32', trainable: false });
    gIdx.assign(Float32Array.from({ length: outputDim }, (_, index) => Math.floor(index / blockSize)));
  }
  return { mode, blockSize: mode === 'int4' ? blockSize : -1, inputDim, outputDim, embeddings, scale, zero, gIdx };
}

export interface QuantizedTableValues {
  embeddings: Int8Array;
  scale: Float32Array;
  zero: Int8Array | null;
}

/**
 * Keras's Embedding.quantize arithmetic on a float table [inputDim, outputDim]: int8 abs-max per
 * row; int4 grouped: the transposed table [outputDim, inputDim] quantized in groups of rows
 * (= groups along each embedding row), transposed back, packed along outputDim.
 */
export function quantizeTableValues(values: Float32Array, mode: QuantizationMode, blockSize: number, inputDim: number, outputDim: number): QuantizedTableValues {
  if (mode === 'int8') {
    const { quantized, scale } = absMaxQuantizeHost(values, [inputDim, outputDim], -1);
    return { embeddings: quantized, scale, zero: null };
  }
  if (blockSize === -1) {
    const { quantized, scale } = absMaxQuantizeHost(values, [inputDim, outputDim], -1, [-8, 7]);
    return { embeddings: packInt4Host(quantized, [inputDim, outputDim], 1).packed, scale, zero: null };
  }
  const groups = Math.ceil(outputDim / blockSize);
  // The transposed view: (row = d, column = v) lives at v·outputDim + d; scale^T [inputDim, groups].
  const { quantized, scale, zero } = absMaxQuantizeGroupedHost(
    values,
    { rows: outputDim, columns: inputDim, rowStride: 1, columnStride: outputDim },
    blockSize,
    { scaleLayout: { groupStride: 1, columnStride: groups } },
  );
  return { embeddings: packInt4Host(quantized, [inputDim, outputDim], 1).packed, scale, zero };
}

export function assignTableValues(table: QuantizedTable, values: QuantizedTableValues): void {
  table.embeddings.assign(values.embeddings);
  table.scale.assign(values.scale);
  if (table.zero && values.zero) table.zero.assign(values.zero);
}

/** Rows `ids` of the table, dequantized: float32 [...ids, outputDim] (Keras's _int8_call / _int4_call). */
export function lookupQuantized(table: QuantizedTable, ids: Tensor): Tensor {
  const rows = tz.gather(table.embeddings.value, ids, 0);
  const rowScale = tz.gather(table.scale.value, ids, 0);
  if (table.mode === 'int8') return tz.div(tz.cast(rows, 'float32'), tz.expandDims(rowScale, -1));
  const unpacked = tz.cast(tz.unpackInt4(rows, table.outputDim, -1), 'float32');
  if (!table.zero) return tz.div(unpacked, tz.expandDims(rowScale, -1));
  // dequantize_with_sz_map(group_axis=-1): scale and zero taken along the groups by g_idx.
  const groupOf = tz.cast(table.gIdx!.value, 'int32');
  const scale = tz.gather(rowScale, groupOf, -1);
  const zero = tz.cast(tz.gather(tz.gather(table.zero.value, ids, 0), groupOf, -1), 'float32');
  return tz.mul(tz.sub(unpacked, zero), scale);
}

/** The whole table dequantized on the host, float32 [inputDim, outputDim] (merging LoRA on save, gradients). */
export function dequantizeTableHost(table: QuantizedTable): Float32Array {
  const { inputDim, outputDim } = table;
  const scale = table.scale.value.dataSync();
  const out = new Float32Array(inputDim * outputDim);
  const q = table.mode === 'int8' ? table.embeddings.value.dataSync() : unpackInt4Host(table.embeddings.value.dataSync(), table.embeddings.shape, outputDim, 1).values;
  const zero = table.zero?.value.dataSync() ?? null;
  const groups = zero ? Math.ceil(outputDim / table.blockSize) : 1;
  for (let row = 0; row < inputDim; row++)
    for (let column = 0; column < outputDim; column++) {
      const index = row * outputDim + column;
      if (zero) {
        const group = row * groups + Math.floor(column / table.blockSize);
        out[index] = Math.fround((q[index]! - zero[group]!) * scale[group]!);
      } else out[index] = Math.fround(q[index]! / scale[row]!);
    }
  return out;
}

/** Keras's _get_embeddings_with_merged_lora: dequantize, add (alpha/rank)·A@B, quantize again. */
export function mergeLoraIntoTable(table: QuantizedTable, lora: { a: Variable; b: Variable; scale: number }): QuantizedTableValues {
  const mergedTensor = tz.tidy(() =>
    tz.add(tz.tensor(dequantizeTableHost(table), [table.inputDim, table.outputDim], 'float32'), tz.mul(tz.matMul(lora.a.value, lora.b.value), lora.scale)),
  );
  const merged = Float32Array.from(mergedTensor.dataSync());
  mergedTensor.dispose();
  return quantizeTableValues(merged, table.mode, table.blockSize, table.inputDim, table.outputDim);
}

/**
 * The tied logits hidden [..., outputDim] → [..., inputDim] over the quantized table:
 * int8 (Keras's reverse _int8_call): each token quantized (abs-max, last axis), matMulInt8 with
 * the table as [N, K] (transposeB), divided by inputs_scale·embeddings_scale.
 * int4: float hidden times the packed table (matMulInt4, layout 'transposed'); with
 * `quantizeInputs` the hidden states are abs-max quantized first and the product divided by their
 * scale (Keras's int4 reverse path with an activation quantizer).
 */
export function reverseQuantized(table: QuantizedTable, hidden: Tensor, quantizeInputs: boolean): Tensor {
  if (table.mode === 'int8') {
    const { quantized, scale } = tz.absMaxQuantize(hidden, { axis: -1 });
    return tz.matMulInt8(quantized, scale, table.embeddings.value, table.scale.value, { transposeB: true });
  }
  const options = { layout: 'transposed' as const, blockSize: table.blockSize };
  if (!quantizeInputs) return tz.matMulInt4(hidden, table.embeddings.value, table.scale.value, table.zero?.value ?? null, options);
  const { quantized, scale } = tz.absMaxQuantize(hidden, { axis: -1 });
  return tz.div(tz.matMulInt4(tz.cast(quantized, 'float32'), table.embeddings.value, table.scale.value, table.zero?.value ?? null, options), scale);
}
