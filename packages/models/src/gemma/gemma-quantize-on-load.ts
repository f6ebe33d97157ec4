// `fromPreset(…, { quantize })` of a float preset, and `loadWeights: false` with `quantize`: the
// backbone is built quantized and each float kernel goes from the file (or its initializer)
// through the host quantizer straight into the int8 variables (gemma-host-quantize.ts). The
// result is bit for bit that of loading the float model and calling quantize(mode), without the
// float model: the backend holds only the quantized weights and the float norm scales.
import { tidy, TensorzooError } from '@tensorzoo/core';
import { EinsumDense, type Layer } from '@tensorzoo/layers';
import { float16BitsToFloat32, gemmaH5PathFor, readKerasWeights, readSafetensors, type StoredTensor } from '../io/index.js';
import { GemmaBackbone } from './gemma-backbone.js';
import type { GemmaBackboneConfig } from './gemma-config.js';
import { quantizeBackboneFromSources, quantizedLayersFor, randomSourceFor, type FloatRowSource } from './gemma-host-quantize.js';
import { checkQuantizationMode, type QuantizationMode } from './gemma-quantization.js';
import { assignChecked, storedToTensor, transformersSource, type LoadOptions } from './gemma-loader.js';

/**
 * Whether `quantize` can run on load through the host: a float configuration (a quantized preset
 * with `quantize` is Keras's "already quantized" error, raised by quantize() itself) and not int8
 * over float16 (Keras's refusal, also raised by the layers' quantize()).
 */
export function canQuantizeOnLoad(config: GemmaBackboneConfig, mode: unknown): mode is QuantizationMode {
  checkQuantizationMode('GemmaBackbone.quantize', mode);
  if (config.quantizedLayers && Object.keys(config.quantizedLayers).length > 0) return false;
  return !(mode === 'int8' && config.dtype === 'float16');
}

/** A new backbone whose quantizable layers are built quantized for `mode` (weights not yet set). */
export function quantizedBackboneFor(config: GemmaBackboneConfig, mode: QuantizationMode): GemmaBackbone {
  const numLayers = config.numLayers;
  return new GemmaBackbone({ ...config, quantizedLayers: quantizedLayersFor(mode, numLayers) });
}

/** Seeded random weights (loadWeights: false), quantized layer by layer on the host. */
export function randomQuantizedBackbone(config: GemmaBackboneConfig, mode: QuantizationMode, options: Pick<LoadOptions, 'onProgress'> = {}): GemmaBackbone {
  const backbone = quantizedBackboneFor(config, mode);
  try {
    quantizeBackboneFromSources(backbone, randomSourceFor, (loaded, total) => options.onProgress?.({ label: 'quantizing random weights', loaded, total, unit: 'items' }));
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  return backbone;
}

/** The float tensor a layer quantizes: its kernel's (or table's) variable path. */
function floatVariablePath(layer: Layer): string {
  return layer instanceof EinsumDense ? `${layer.path}/kernel` : `${layer.path}/embeddings`;
}

/** A stored float tensor read by rows, decoded to float32 (a copy: rounding happens in place). */
export function storedRowSource(stored: StoredTensor): FloatRowSource {
  const rowWidth = stored.shape.slice(1).reduce((total, size) => total * size, 1);
  const data = stored.data as ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> };
  return {
    shape: stored.shape,
    readRows(firstRow, rowCount) {
      const part = data.subarray(firstRow * rowWidth, (firstRow + rowCount) * rowWidth);
      const out = new Float32Array(rowCount * rowWidth);
      if (stored.dtype === 'bfloat16') {
        // bfloat16 bits are the high half of the float32 bits (exact).
        const words = new Uint32Array(out.buffer);
        for (let index = 0; index < out.length; index++) words[index] = part[index]! << 16;
      } else if (stored.dtype === 'float16') out.set(float16BitsToFloat32(part as Uint16Array)); else if (stored.dtype === 'int64' || stored.dtype === 'uint64') for (let index = 0; index < out.length; index++) out[index] = Number(part[index]!);
      else out.set(part);
      return out;
    },
  };
}

/** The non-quantized variables (norm scales): assigned from the file as the float loader does. */
function assignFloatVariables(backbone: GemmaBackbone, quantizedPaths: ReadonlySet<string>, read: (variablePath: string) => void): void {
  for (const variable of backbone.weights) {
    const layerPath = variable.path.slice(0, variable.path.lastIndexOf('/'));
    if (!quantizedPaths.has(layerPath)) read(variable.path);
  }
}

/** A KerasHub float preset's weights, quantized on the host as they are read. */
export async function loadKerasWeightsQuantizing(backbone: GemmaBackbone, folder: string, options: LoadOptions): Promise<void> {
  const weights = await readKerasWeights(folder);
  const quantizedPaths = new Set(Object.keys(backbone.config.quantizedLayers ?? {}));
  const h5PathOf = (variablePath: string) => {
    const h5Path = gemmaH5PathFor(variablePath, backbone.config);
    if (!weights.has(h5Path)) throw new TensorzooError(`${folder}: the weights file has no tensor ${h5Path} (for ${variablePath})`);
    return h5Path;
  };
  try {
    assignFloatVariables(backbone, quantizedPaths, (variablePath) => {
      const h5Path = h5PathOf(variablePath);
      const variable = backbone.weights.find((candidate) => candidate.path === variablePath)!;
      const value = storedToTensor(weights.get(h5Path), { file: weights.info(h5Path).file, tensor: h5Path });
      try {
        assignChecked(variable, value, folder, h5Path);
      } finally {
        value.dispose();
      }
    });
    quantizeBackboneFromSources(
      backbone,
      (layer) => {
        const h5Path = h5PathOf(floatVariablePath(layer));
        return { source: storedRowSource(weights.get(h5Path)), describe: `${weights.info(h5Path).file}: tensor ${h5Path}` };
      },
      (loaded, total) => options.onProgress?.({ label: 'loading and quantizing weights', loaded, total, unit: 'items' }),
    );
  } finally {
    weights.close();
  }
}

/**
 * Where a Hugging Face projection's element goes in Keras's kernel (spec §3.5, as
 * transformersSource converts on the backend): the stored matrix seen as `viewShape`, permuted.
 */
function transformersKernelPermutation(layerPath: string, config: GemmaBackbone['config']): { viewShape: number[]; permutation: number[] } {
  const { numQueryHeads: N, numKeyValueHeads: K, headDim: H, hiddenDim: D, intermediateDim } = config;
  const name = layerPath.slice(layerPath.indexOf('/') + 1);
  const feedforward = intermediateDim / 2;
  switch (name) {
    case 'attention/query':
      return { viewShape: [N, H, D], permutation: [0, 2, 1] }; // [N·H, D] → [N, D, H]
    case 'attention/key':
    case 'attention/value':
      return { viewShape: [K, H, D], permutation: [0, 2, 1] };
    case 'attention/attention_output':
      return { viewShape: [D, N, H], permutation: [1, 2, 0] }; // [D, N·H] → [N, H, D]
    case 'ffw_gating':
    case 'ffw_gating_2':
      return { viewShape: [feedforward, D], permutation: [1, 0] };
    case 'ffw_linear':
      return { viewShape: [D, feedforward], permutation: [1, 0] };
    default:
      throw new TensorzooError(`no Hugging Face projection maps to layer '${layerPath}'`);
  }
}

/** Row-major transpose on the host: values of `shape` → the permuted shape. */
export function transposeHost(values: Float32Array, shape: readonly number[], permutation: readonly number[]): Float32Array {
  const outShape = permutation.map((axis) => shape[axis]!);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((total, size) => total * size, 1));
  const out = new Float32Array(values.length);
  const last = outShape.length - 1;
  const innerStride = strides[permutation[last]!]!;
  const innerSize = outShape[last]!;
  const coordinates = new Array<number>(last).fill(0);
  for (let flat = 0; flat < values.length; flat += innerSize) {
    let source = 0;
    for (let axis = 0; axis < last; axis++) source += coordinates[axis]! * strides[permutation[axis]!]!;
    for (let index = 0; index < innerSize; index++) out[flat + index] = values[source + index * innerStride]!;
    for (let axis = last - 1; axis >= 0; axis--) {
      if (++coordinates[axis]! < outShape[axis]!) break;
      coordinates[axis] = 0;
    }
  }
  return out;
}

/**
 * A Hugging Face float checkpoint's weights, quantized as they are read. Each projection is
 * decoded and transposed into Keras's kernel layout on the host (one kernel at a time); the
 * embedding needs no transpose and goes through by slabs of rows.
 */
export async function loadTransformersWeightsQuantizing(backbone: GemmaBackbone, folder: string, options: LoadOptions): Promise<void> {
  const weights = await readSafetensors(folder);
  const quantizedPaths = new Set(Object.keys(backbone.config.quantizedLayers ?? {}));
  const storedFor = (variablePath: string) => {
    const { key, convert } = transformersSource(variablePath, backbone.config);
    if (!weights.has(key)) throw new TensorzooError(`${folder}: the safetensors checkpoint has no tensor ${key} (for ${variablePath})`);
    return { key, convert, stored: weights.get(key) };
  };
  try {
    assignFloatVariables(backbone, quantizedPaths, (variablePath) => {
      const { key, convert, stored } = storedFor(variablePath);
      const variable = backbone.weights.find((candidate) => candidate.path === variablePath)!;
      tidy(() => assignChecked(variable, convert(storedToTensor(stored)), folder, key));
    });
    quantizeBackboneFromSources(
      backbone,
      (layer) => {
        const { key, stored } = storedFor(floatVariablePath(layer));
        const describe = `${folder}: tensor ${key}`;
        if (!(layer instanceof EinsumDense)) return { source: storedRowSource(stored), describe };
        const { viewShape, permutation } = transformersKernelPermutation(layer.path, backbone.config);
        const size = viewShape.reduce((total, dim) => total * dim, 1);
        const storedSize = stored.shape.reduce((total: number, dim: number) => total * dim, 1);
        if (storedSize !== size)
          throw new TensorzooError(`${describe} has shape [${stored.shape.join(', ')}], expected ${size} elements for ${layer.path} [${layer.quantized!.kernelShape.join(', ')}]`);
        const kernel = transposeHost(storedRowSource(stored).readRows(0, stored.shape[0]!), viewShape, permutation);
        const shape = permutation.map((axis) => viewShape[axis]!);
        const rowWidth = kernel.length / shape[0]!;
        return { source: { shape, readRows: (firstRow, rowCount) => kernel.subarray(firstRow * rowWidth, (firstRow + rowCount) * rowWidth) }, describe };
      },
      (loaded, total) => options.onProgress?.({ label: 'loading and quantizing weights', loaded, total, unit: 'items' }),
    );
  } finally {
    weights.close?.();
  }
}

/**
 * loadGemmaBackboneFromFolder with `quantize` on a float preset: built quantized, then the
 * weights (or, with loadWeights: false, the seeded random ones) quantized on the host as read.
 */
export async function quantizedBackboneFromFolder(config: GemmaBackboneConfig, mode: QuantizationMode, format: 'keras' | 'transformers', folder: string, options: LoadOptions): Promise<GemmaBackbone> {
  if (options.loadWeights === false) return randomQuantizedBackbone(config, mode, options);
  const backbone = quantizedBackboneFor(config, mode);
  try {
    if (format === 'keras') await loadKerasWeightsQuantizing(backbone, folder, options);
    else await loadTransformersWeightsQuantizing(backbone, folder, options);
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  return backbone;
}
