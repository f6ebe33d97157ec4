// Quantize-on-load on the host: a GemmaBackbone is built with its layers already quantized (from
// the policy `quantize(mode)` would give them), and each float kernel is produced on the host, as
// it is read from the weights file or drawn by its initializer, quantized there with Keras's
// NumPy arithmetic (layers' quantizeKernelValues / quantizeTableValues) and assigned as int8. The
// float tensor never reaches the backend, and only one float tensor (for the token embedding,
// one slab of rows of it) is in the JavaScript heap at a time. Without this, Gemma 2B's float
// embedding (256000 × 2048: 2.1 GB in float32) sat in the WebAssembly memory beside the int8
// weights while it was quantized.
//
// The numbers are those of loading (or initializing) the float model and calling quantize(mode):
// - the float values are rounded to the backbone's variable dtype first (bfloat16, float16), as
//   assigning them to a float variable does;
// - random weights (loadWeights: false) come from the same generator, seeds drawn in the same
//   order (quantize's: Keras's _flatten_layers order) and the same formulas as core's random ops;
// - the embedding's rows are independent in every mode (int8 and int4 scale per row; int4's
//   groups run along a row), so quantizing it slab by slab gives the whole table's result.
import { RandomGenerator, TensorzooError, float16BitsToFloat32, float32ToFloat16Bits } from '@tensorzoo/core';
import {
  Constant, EinsumDense, Embedding, Ones, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, Zeros, analyzeQuantization, drawSeed, initializers,
  quantizeKernelValues, quantizeTableValues, splitEinsumEquation, type Initializer, type Layer,
} from '@tensorzoo/layers';
import { gemmaQuantizableLayerPaths, layerQuantizationFor, type LayerQuantization, type QuantizationMode } from './gemma-quantization.js';

/** A float tensor produced on the host by slabs of rows (its leading axis), read in order. */
export interface FloatRowSource {
  /** The float tensor's shape (a kernel's Keras shape, the table's [inputDim, outputDim]). */
  readonly shape: readonly number[];
  /** float32 values of rows [firstRow, firstRow + rowCount), row-major; rows are asked for in order. */
  readRows(firstRow: number, rowCount: number): Float32Array;
}

export type HostFloatDType = 'float32' | 'bfloat16' | 'float16';

/** Elements per slab of the embedding table (16 Mi floats: 64 MiB). Mutable for tests. */
export const hostQuantizeLimits = { slabElements: 16 * 1024 * 1024 };

/** quantizedLayers for a backbone built already quantized: every layer quantize(mode) quantizes. */
export function quantizedLayersFor(mode: QuantizationMode, numLayers: number): Record<string, LayerQuantization> {
  return Object.fromEntries(gemmaQuantizableLayerPaths({ numLayers }).map((path) => [path, layerQuantizationFor(mode)]));
}

/**
 * Rounds float32 values in place to what a variable of `dtype` holds (round to nearest even,
 * NaN kept): exactly core's float32 → bfloat16 / float16 encoding followed by the decoding.
 */
export function roundToVariableDType(values: Float32Array, dtype: HostFloatDType): Float32Array {
  if (dtype === 'float32') return values;
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  if (dtype === 'bfloat16') {
    for (let index = 0; index < bits.length; index++) {
      const word = bits[index]!;
      // core's float32ToBfloat16Bits: NaN → quiet NaN, else add 0x7fff + the kept low bit.
      bits[index] = (word & 0x7f800000) === 0x7f800000 && (word & 0x007fffff) !== 0 ? ((word >>> 16) | 0x0040) << 16 : ((word + 0x7fff + ((word >>> 16) & 1)) >>> 16) << 16;
    }
    return values;
  }
  // float16: through core's own encoder and decoder (a storage tensor round trip, on the host).
  for (let index = 0; index < values.length; index++) values[index] = float16BitsToFloat32(float32ToFloat16Bits(values[index]!));
  return values;
}

/**
 * The values an initializer gives a weight of `shape` (its `call(shape, 'float32')`), produced
 * row slab by row slab on the host. The seed is drawn now (an unseeded initializer takes the next
 * seed of setRandomSeed's generator, as materializing the variable would).
 */
export function initializerRowSource(initializer: Initializer, shape: readonly number[], where: string): FloatRowSource {
  const rowWidth = shape.slice(1).reduce((total, size) => total * size, 1);
  const fill = (value: number): FloatRowSource => ({ shape, readRows: (_first, rows) => new Float32Array(rows * rowWidth).fill(value) });
  if (initializer instanceof Zeros) return fill(0);
  if (initializer instanceof Ones) return fill(1);
  if (initializer instanceof Constant) return fill(initializer.value);
  // core's randomTensor: one generator for the whole tensor, drawn element by element in order.
  let draw: (generator: RandomGenerator) => number;
  let seed: number | null;
  if (initializer instanceof VarianceScaling) {
    const variance = initializer.scale / initializer.fanFor(shape);
    seed = initializer.seed;
    if (initializer.distribution === 'truncated_normal') draw = truncatedNormalDraw(0, Math.sqrt(variance) / initializers.TRUNCATED_NORMAL_STDDEV);
    else if (initializer.distribution === 'untruncated_normal') {
      const stddev = Math.sqrt(variance);
      draw = (generator) => 0 + stddev * generator.nextNormal();
    } else {
      const limit = Math.sqrt(3 * variance);
      draw = uniformDraw(-limit, limit);
    }
  } else if (initializer instanceof RandomNormal) {
    const { mean, stddev } = initializer;
    seed = initializer.seed;
    draw = (generator) => mean + stddev * generator.nextNormal();
  } else if (initializer instanceof RandomUniform) {
    seed = initializer.seed;
    draw = uniformDraw(initializer.minval, initializer.maxval);
  } else if (initializer instanceof TruncatedNormal) {
    seed = initializer.seed;
    draw = truncatedNormalDraw(initializer.mean, initializer.stddev);
  } else
    throw new TensorzooError(`${where}: its initializer ${initializer.constructor.name} cannot produce values on the host for quantize-on-load (supported: VarianceScaling and its named variants, RandomNormal, RandomUniform, TruncatedNormal, Zeros, Ones, Constant)`);
  const generator = new RandomGenerator(seed ?? drawSeed());
  let nextRow = 0;
  return {
    shape,
    readRows(firstRow, rowCount) {
      if (firstRow !== nextRow) throw new TensorzooError(`${where}: random rows must be read in order (asked for row ${firstRow}, next is ${nextRow})`);
      nextRow += rowCount;
      const values = new Float32Array(rowCount * rowWidth);
      for (let index = 0; index < values.length; index++) values[index] = draw(generator);
      return values;
    },
  };
}

function uniformDraw(minval: number, maxval: number): (generator: RandomGenerator) => number {
  return (generator) => minval + (maxval - minval) * generator.nextFloat();
}

function truncatedNormalDraw(mean: number, stddev: number): (generator: RandomGenerator) => number {
  return (generator) => {
    let value = generator.nextNormal();
    while (Math.abs(value) > 2) value = generator.nextNormal();
    return mean + stddev * value;
  };
}

/**
 * The initializer an EinsumDense's float kernel is built with: its kernelInitializer, with the
 * einsum's fan axes for a VarianceScaling (EinsumDense.build's rule: weight letters in the output
 * count towards fan_out, the others (in the input) towards fan_in).
 */
export function einsumKernelInitializer(layer: EinsumDense): Initializer {
  const initializer = layer.kernelInitializer;
  if (!(initializer instanceof VarianceScaling) || initializer.inputAxes !== null) return initializer;
  const { inputSpec, weightSpec, outputSpec } = splitEinsumEquation(layer.equation);
  const inputAxes: number[] = [];
  const outputAxes: number[] = [];
  [...weightSpec].forEach((letter, axis) => {
    if (outputSpec.includes(letter)) outputAxes.push(axis);
    else if (inputSpec.includes(letter)) inputAxes.push(axis);
  });
  return initializer.withFanAxes(inputAxes, outputAxes);
}

/** The float kernel of a quantized EinsumDense or table of a quantized Embedding: shape and initializer. */
export function floatWeightOf(layer: Layer): { shape: number[]; initializer: Initializer } {
  if (layer instanceof EinsumDense && layer.quantized) return { shape: [...layer.quantized.kernelShape], initializer: einsumKernelInitializer(layer) };
  if (layer instanceof Embedding && layer.quantized) return { shape: [layer.inputDim, layer.outputDim], initializer: layer.embeddingsInitializer };
  throw new TensorzooError(`layer '${layer.path}' is not a quantized EinsumDense or Embedding`);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((size, axis) => size === b[axis]);

/**
 * Quantizes `source` (the layer's float kernel or table) on the host into the layer's quantized
 * variables. `dtype` is the float variable dtype the values are rounded to first. `describe`
 * names the source in a shape error (a file and tensor).
 */
export function quantizeLayerFromSource(layer: Layer, source: FloatRowSource, dtype: HostFloatDType, describe: string): void {
  const { shape } = floatWeightOf(layer);
  if (!sameShape(source.shape, shape))
    throw new TensorzooError(`${describe} has shape [${source.shape.join(', ')}], expected [${shape.join(', ')}] for layer '${layer.path}'`);
  if (layer instanceof EinsumDense) {
    const quantized = layer.quantized!;
    const { inputSpec, elision } = splitEinsumEquation(layer.equation);
    if (elision !== 'none') throw new TensorzooError(`layer '${layer.path}': quantize-on-load needs an einsum without '...' (received '${layer.equation}')`);
    const info = analyzeQuantization(layer.equation, inputSpec.length);
    const values = roundToVariableDType(source.readRows(0, shape[0]!), dtype);
    const result = quantizeKernelValues(values, quantized.mode, quantized.blockSize, info, quantized.kernelShape, quantized.plan);
    quantized.kernel.assign(result.kernel);
    quantized.scale.assign(result.scale);
    if (quantized.zero && result.zero) quantized.zero.assign(result.zero);
    return;
  }
  const table = (layer as Embedding).quantized!;
  const { inputDim, outputDim, mode, blockSize } = table;
  // Per row: the table's (packed) width, and its scale/zero width (groups along the row, or 1).
  const tableWidth = table.embeddings.shape[1]!;
  const scaleWidth = table.scale.shape.length === 2 ? table.scale.shape[1]! : 1;
  const embeddings = new Int8Array(inputDim * tableWidth);
  const scale = new Float32Array(inputDim * scaleWidth);
  const zero = table.zero ? new Int8Array(inputDim * scaleWidth) : null;
  const rowsPerSlab = Math.max(1, Math.floor(hostQuantizeLimits.slabElements / Math.max(1, outputDim)));
  for (let firstRow = 0; firstRow < inputDim; firstRow += rowsPerSlab) {
    const rows = Math.min(rowsPerSlab, inputDim - firstRow);
    const values = roundToVariableDType(source.readRows(firstRow, rows), dtype);
    const slab = quantizeTableValues(values, mode, blockSize, rows, outputDim);
    embeddings.set(slab.embeddings, firstRow * tableWidth);
    scale.set(slab.scale, firstRow * scaleWidth);
    if (zero && slab.zero) zero.set(slab.zero, firstRow * scaleWidth);
  }
  table.embeddings.assign(embeddings);
  table.scale.assign(scale);
  if (table.zero && zero) table.zero.assign(zero);
}

/** What quantizeBackboneFromSources needs of a backbone built quantized (no import of the class). */
export interface HostQuantizableBackbone {
  readonly config: { numLayers: number; dtype: string };
  readonly allLayers: Layer[];
}

/**
 * Fills every quantized layer of `backbone` (built from quantizedLayersFor) from `sourceFor(layer)`,
 * one layer at a time in quantize's order (Keras's _flatten_layers: the order in which random
 * seeds are drawn). `sourceFor` returns the source and how to name it in errors.
 */
export function quantizeBackboneFromSources(
  backbone: HostQuantizableBackbone,
  sourceFor: (layer: Layer) => { source: FloatRowSource; describe: string },
  onProgress?: (done: number, total: number, layerPath: string) => void,
): void {
  const byPath = new Map(backbone.allLayers.map((layer) => [layer.path, layer]));
  const paths = gemmaQuantizableLayerPaths(backbone.config);
  paths.forEach((path, index) => {
    const layer = byPath.get(path);
    if (!layer) throw new TensorzooError(`quantize-on-load: the backbone has no layer '${path}'`);
    const { source, describe } = sourceFor(layer);
    quantizeLayerFromSource(layer, source, backbone.config.dtype as HostFloatDType, describe);
    onProgress?.(index + 1, paths.length, path);
  });
}

/** Random sources for every quantized layer: the initializer values a float model would draw. */
export function randomSourceFor(layer: Layer): { source: FloatRowSource; describe: string } {
  const { shape, initializer } = floatWeightOf(layer);
  const describe = `the random float weight of '${layer.path}'`;
  return { source: initializerRowSource(initializer, shape, describe), describe };
}
