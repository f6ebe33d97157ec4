// The quantized kernel shared by EinsumDense and Dense (Dense is the einsum '...k,kn->...n'):
// Keras 3.16's variables (`kernel`, `kernel_scale`, and for grouped int4 `kernel_zero`, `g_idx`),
// the host quantization `quantize()` runs, and each mode's call path:
// - int8 (W8A8, `_int8_call`): each token's activations are quantized over the reduced axes
//   (absMaxQuantize), multiplied in integers (matMulInt8) and divided by inputs_scale·kernel_scale.
// - int4 (W4A16, `_int4_call`): float activations times the packed kernel (matMulInt4, layout
//   'kernel'): grouped w = (q − zero)·scale, per channel w = q / scale.
// Weights stay quantized: nothing here keeps a dequantized copy, except while training (below).
import * as tz from '@tensorzoo/core';
import { TensorzooError, type DType, type Tensor } from '@tensorzoo/core';
import { checkQuantizationMode, getDTypePolicy, type DTypePolicy, type QuantizationMode } from './dtype-policy.js';
import { kernelScaleShape, planProduct, type ProductPlan, type QuantizationInfo } from './quantization-analysis.js';
import { absMaxQuantizeGroupedHost, absMaxQuantizeHost, packInt4Host, unpackInt4Host } from './quantizers.js';
import type { Variable } from './variable.js';

/**
 * Options of `quantize(mode, config)`, Keras's Int8QuantizationConfig / Int4QuantizationConfig.
 * @property blockSize int4 only: rows per scale/zero group (default 128, Keras's); -1 (or null) per-channel
 */
export interface QuantizationConfig {
  blockSize?: number | null;
}

/** The int4 block size a config asks for: 128 by default, -1 for per-channel. */
export function resolveBlockSize(op: string, config: QuantizationConfig | undefined): number {
  const blockSize = config?.blockSize === undefined ? 128 : config.blockSize === null ? -1 : config.blockSize;
  if (!(blockSize === -1 || (Number.isInteger(blockSize) && blockSize > 0)))
    throw new TensorzooError(`${op}: block_size must be None, -1, or a positive integer. Received: block_size=${String(config?.blockSize)}`);
  return blockSize;
}

/** The variables of a quantized kernel, and how its product maps onto core's ops. */
export interface QuantizedKernel {
  readonly mode: QuantizationMode;
  /** int4: rows per group, or -1 per channel; int8: -1. */
  readonly blockSize: number;
  /** The float kernel's shape (Keras's original_kernel_shape). */
  readonly kernelShape: readonly number[];
  readonly plan: ProductPlan;
  readonly kernel: Variable;
  readonly scale: Variable;
  readonly zero: Variable | null;
  readonly gIdx: Variable | null;
}

type AddWeight = (name: string, shape: readonly number[], options: { dtype: DType; trainable: boolean; initializer?: string }) => Variable;

/** The stored shapes of each variable (Keras's _int8_build / _int4_build). */
export function quantizedShapes(mode: QuantizationMode, blockSize: number, info: QuantizationInfo, kernelShape: readonly number[], plan: ProductPlan, denseUnits?: number) {
  if (mode === 'int8') return { kernel: [...kernelShape], scale: denseUnits !== undefined ? [denseUnits] : kernelScaleShape(info, kernelShape), grouped: false };
  const { int4Rows: rows, int4Columns: columns } = plan;
  const grouped = blockSize !== -1;
  return { kernel: [rows, Math.ceil(columns / 2)], scale: grouped ? [Math.ceil(rows / blockSize), columns] : [columns], grouped };
}

/**
 * Creates the quantized variables in Keras's order (kernel, kernel_scale[, kernel_zero, g_idx]),
 * all non-trainable; g_idx = floor(arange(rows) / blockSize) as float32, as Keras stores it.
 */
export function buildQuantizedKernel(
  layerName: string,
  addWeight: AddWeight,
  mode: QuantizationMode,
  blockSize: number,
  info: QuantizationInfo,
  kernelShape: readonly number[],
  denseUnits?: number,
): QuantizedKernel {
  const plan = planProduct(layerName, info, kernelShape);
  const shapes = quantizedShapes(mode, blockSize, info, kernelShape, plan, denseUnits);
  const kernel = addWeight('kernel', shapes.kernel, { dtype: 'int8', trainable: false });
  const scale = addWeight('kernel_scale', shapes.scale, { dtype: 'float32', trainable: false, initializer: 'ones' });
  let zero: Variable | null = null;
  let gIdx: Variable | null = null;
  if (mode === 'int4' && shapes.grouped) {
    zero = addWeight('kernel_zero', shapes.scale, { dtype: 'int8', trainable: false });
    gIdx = addWeight('g_idx', [plan.int4Rows], { dtype: 'float32', trainable: false });
    gIdx.assign(Float32Array.from({ length: plan.int4Rows }, (_, row) => Math.floor(row / blockSize)));
  }
  return { mode, blockSize: mode === 'int4' ? blockSize : -1, kernelShape: [...kernelShape], plan, kernel, scale, zero, gIdx };
}

/** A float32 tensor's values (a copy), disposing the tensor. */
function readAndDispose(tensor: Tensor): Float32Array {
  const values = Float32Array.from(tensor.dataSync());
  tensor.dispose();
  return values;
}

/** Host-side transpose of a small row-major array. */
function transposeHost<T extends Float32Array | Int8Array>(values: T, shape: readonly number[], permutation: readonly number[]): T {
  const outShape = permutation.map((axis) => shape[axis]!);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((total, size) => total * size, 1));
  const out = new (values.constructor as new (length: number) => T)(values.length);
  const coordinates = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let source = 0;
    for (let axis = 0; axis < outShape.length; axis++) source += coordinates[axis]! * strides[permutation[axis]!]!;
    out[flat] = values[source]!;
    for (let axis = outShape.length - 1; axis >= 0; axis--) {
      if (++coordinates[axis]! < outShape[axis]!) break;
      coordinates[axis] = 0;
    }
  }
  return out;
}

export interface QuantizedValues {
  kernel: Int8Array;
  scale: Float32Array;
  zero: Int8Array | null;
}

/**
 * Keras's `quantize()` arithmetic on the host (NumPy float32 steps), for a float kernel in
 * memory order: int8 = abs_max over the kernel's reduced axes, scale moved into the output layout
 * (`_adjust_scale_for_quant`); int4 = Keras's raw reshape to [rows, columns], grouped (or per
 * channel) quantization, then pack_int4 along the columns.
 */
export function quantizeKernelValues(values: Float32Array, mode: QuantizationMode, blockSize: number, info: QuantizationInfo, kernelShape: readonly number[], plan: ProductPlan): QuantizedValues {
  if (mode === 'int8') {
    const { quantized, scale, scaleShape } = absMaxQuantizeHost(values, kernelShape, info.kernelReducedAxes);
    // Transposing moves only size-1 axes past each other when reduced axes are involved, but the
    // free axes may change order: do the real transpose, then expand/squeeze are reshapes.
    return { kernel: quantized, scale: transposeHost(scale, scaleShape, info.kernelTransposeAxes), zero: null };
  }
  const { int4Rows: rows, int4Columns: columns } = plan;
  if (blockSize === -1) {
    const { quantized, scale } = absMaxQuantizeHost(values, [rows, columns], 0, [-8, 7]);
    return { kernel: packInt4Host(quantized, [rows, columns], 1).packed, scale, zero: null };
  }
  const { quantized, scale, zero } = absMaxQuantizeGroupedHost(values, { rows, columns, rowStride: columns, columnStride: 1 }, blockSize);
  return { kernel: packInt4Host(quantized, [rows, columns], 1).packed, scale, zero };
}

/** kernel_scale as G·N float32 values in [G, N] order (int8), from Keras's output layout. */
function int8ScaleInProductOrder(quantized: QuantizedKernel): Tensor {
  const { plan } = quantized;
  const flat = tz.reshape(quantized.scale.value, [plan.groups * plan.columns]);
  if (!plan.scalePermutation) return flat;
  return tz.reshape(tz.transpose(tz.reshape(flat, plan.scaleFreeSizes), plan.scalePermutation), [plan.groups * plan.columns]);
}

/**
 * The dequantized kernel in its float shape, float32 on the host: int8 q / scale, int4
 * (q − zero)·scale (per channel q / scale). Used to merge LoRA on save and for the inputs'
 * gradient while training; a transient value, never kept.
 */
export function dequantizeKernelHost(quantized: QuantizedKernel): Float32Array {
  const { plan } = quantized;
  const size = quantized.kernelShape.reduce((total, dim) => total * dim, 1);
  const out = new Float32Array(size);
  if (quantized.mode === 'int8') {
    const q = quantized.kernel.value.dataSync() as Int8Array;
    const scale = readAndDispose(tz.tidy(() => int8ScaleInProductOrder(quantized)));
    const { groups, depth, columns } = plan;
    for (let g = 0; g < groups; g++)
      for (let k = 0; k < depth; k++)
        for (let n = 0; n < columns; n++) {
          const index = (g * depth + k) * columns + n;
          out[index] = Math.fround(q[index]! / scale[g * columns + n]!);
        }
    return out;
  }
  const { int4Rows: rows, int4Columns: columns } = plan;
  const q = unpackInt4Host(quantized.kernel.value.dataSync(), quantized.kernel.shape, columns, 1).values;
  const scale = quantized.scale.value.dataSync();
  const zero = quantized.zero?.value.dataSync() ?? null;
  for (let row = 0; row < rows; row++) {
    const group = quantized.blockSize === -1 ? 0 : Math.floor(row / quantized.blockSize);
    for (let column = 0; column < columns; column++) {
      const index = row * columns + column;
      out[index] = zero
        ? Math.fround((q[index]! - zero[group * columns + column]!) * scale[group * columns + column]!)
        : Math.fround(q[index]! / scale[column]!);
    }
  }
  return out;
}

/** The product without any gradient bookkeeping: [..., output dims] float32. */
function quantizedProductValue(quantized: QuantizedKernel, inputs: Tensor, reducedRank: number): Tensor {
  const { plan } = quantized;
  const moved = plan.inputPermutation ? tz.transpose(inputs, plan.inputPermutation) : inputs;
  const leading = moved.shape.slice(0, moved.rank - reducedRank);
  const flat = tz.reshape(moved, [...leading, plan.depth]);
  let out: Tensor;
  if (quantized.mode === 'int8') {
    const { quantized: q, scale } = tz.absMaxQuantize(flat, { axis: -1 });
    out = tz.matMulInt8(q, scale, quantized.kernel.value, int8ScaleInProductOrder(quantized), { groups: plan.groups });
  } else {
    out = tz.matMulInt4(flat, quantized.kernel.value, quantized.scale.value, quantized.zero?.value ?? null, {
      layout: 'kernel',
      groups: plan.groups,
      blockSize: quantized.blockSize,
    });
  }
  const shaped = tz.reshape(out, [...leading, ...plan.kernelFreeSizes]);
  return plan.outputPermutation ? tz.transpose(shaped, plan.outputPermutation) : shaped;
}

/** A copy of `x` that the gradient tape does not see (read back and written anew). */
export function detached(x: Tensor): Tensor {
  return tz.tensor(x.dataSync() as Float32Array, x.shape, x.dtype);
}

/**
 * The quantized product of `inputs` (Keras's einsum with the quantized kernel), float32.
 * `reducedRank` is how many trailing axes of the (permuted) inputs are summed.
 *
 * While a gradient tape records, the value is still exactly the quantized product, and the
 * inputs' gradient is Keras's custom gradient dy · dequantized(kernel)ᵀ: the product is computed
 * on an untracked copy of the inputs, and einsum(x, W) − einsum(copy, W) (exactly zero) is added
 * so that the tape differentiates through the dequantized kernel W. Unlike Keras, whose backward
 * step dequantizes, W lives from this forward call until the tape's backward ends.
 */
export function quantizedProduct(quantized: QuantizedKernel, inputs: Tensor, reducedRank: number, floatProduct: (x: Tensor, kernel: Tensor) => Tensor): Tensor {
  if (!tz.engine.isRecording) return quantizedProductValue(quantized, inputs, reducedRank);
  const copy = detached(inputs);
  const value = quantizedProductValue(quantized, copy, reducedRank);
  const kernel = tz.tensor(dequantizeKernelHost(quantized), quantized.kernelShape, 'float32');
  const asFloat = (x: Tensor) => (x.dtype === 'float32' ? x : tz.cast(x, 'float32'));
  const tracked = floatProduct(asFloat(inputs), kernel);
  const untracked = floatProduct(asFloat(copy), kernel);
  return tz.add(value, tz.sub(tracked, untracked));
}

/**
 * Keras's `_get_kernel_with_merged_lora` for a quantized kernel: dequantize, add
 * (alpha / rank)·(A @ B) in float32, quantize again the way `quantize()` does.
 */
export function mergeLoraIntoQuantized(quantized: QuantizedKernel, info: QuantizationInfo, lora: { a: Variable; b: Variable; scale: number }): QuantizedValues {
  const merged = readAndDispose(
    tz.tidy(() => {
      const base = tz.tensor(dequantizeKernelHost(quantized), quantized.kernelShape, 'float32');
      return tz.add(base, tz.mul(tz.matMul(lora.a.value, lora.b.value), lora.scale));
    }),
  );
  return quantizeKernelValues(merged, quantized.mode, quantized.blockSize, info, quantized.kernelShape, quantized.plan);
}

/** Assigns host-quantized values to the kernel's variables. */
export function assignQuantizedValues(quantized: QuantizedKernel, values: QuantizedValues): void {
  quantized.kernel.assign(values.kernel);
  quantized.scale.assign(values.scale);
  if (quantized.zero && values.zero) quantized.zero.assign(values.zero);
}

/** The tensors Keras saves for a quantized kernel (merged with LoRA when given), by name. */
export function quantizedSaveValues(quantized: QuantizedKernel, merged: QuantizedValues | null): { kernel: Tensor; scale: Tensor; zero: Tensor | null; gIdx: Tensor | null } {
  if (!merged) return { kernel: quantized.kernel.value, scale: quantized.scale.value, zero: quantized.zero?.value ?? null, gIdx: quantized.gIdx?.value ?? null };
  return {
    kernel: tz.keep(tz.tensor(merged.kernel, quantized.kernel.shape, 'int8')),
    scale: tz.keep(tz.tensor(merged.scale, quantized.scale.shape, 'float32')),
    zero: quantized.zero && merged.zero ? tz.keep(tz.tensor(merged.zero, quantized.zero.shape, 'int8')) : null,
    gIdx: quantized.gIdx?.value ?? null,
  };
}

/**
 * Keras's `_check_quantize_args`: the layer must be built and not yet quantized; the mode must be
 * 'int8' or 'int4'; int8 refuses a float16 compute dtype.
 */
export function checkQuantizeArgs(layer: { name: string; built: boolean; dtypePolicy: DTypePolicy; constructor: { name: string } }, mode: unknown): asserts mode is QuantizationMode {
  const op = `${layer.constructor.name} '${layer.name}'.quantize`;
  if (!layer.built) throw new TensorzooError(`${op}: cannot quantize a layer that isn't yet built. Layer '${layer.name}' (of type '${layer.constructor.name}') is not built yet.`);
  // A built layer whose policy is quantized was quantized (or built quantized): Keras's _is_quantized.
  if (layer.dtypePolicy.quantizationMode !== null)
    throw new TensorzooError(`${op}: Layer '${layer.name}' is already quantized with dtype_policy='${layer.dtypePolicy.name}'. Received: mode=${String(mode)}`);
  checkQuantizationMode(op, mode);
  if (mode === 'int8' && layer.dtypePolicy.computeDtype === 'float16')
    throw new TensorzooError(
      `${op}: quantization mode='${mode}' doesn't work well with compute_dtype='float16'. Consider loading model/layer with another dtype policy such as 'mixed_bfloat16' or 'mixed_float16' before calling quantize().`,
    );
}

/** The policy Keras gives a float layer after quantize(): 'int8_from_<policy>' or 'int4/<block>_from_<policy>'. */
export function quantizedPolicyAfter(current: DTypePolicy, mode: QuantizationMode, blockSize: number): DTypePolicy {
  if (current.quantizationMode !== null) return current;
  return getDTypePolicy(`${mode === 'int4' ? `int4/${blockSize}` : 'int8'}_from_${current.name}`);
}

/** A layer with Keras's `quantize(mode, config)`: EinsumDense, Dense, Embedding, ReversibleEmbedding. */
export interface QuantizableLayer {
  readonly name: string;
  readonly quantizationMode: QuantizationMode | null;
  quantize(mode: QuantizationMode, config?: QuantizationConfig): void;
}

/**
 * Whether `layer` can be quantized (has quantize()); Keras's Model.quantize skips the layers that
 * cannot (normalizations, dropout, containers) and quantizes each leaf that can.
 */
export function isQuantizableLayer(layer: unknown): layer is QuantizableLayer {
  return typeof (layer as { quantize?: unknown } | null)?.quantize === 'function';
}
