// Every variable of a GemmaBackbone (path, shape, dtype as Keras lists them), from a configuration
// alone, quantized configurations included: a layer named in `quantizedLayers` has Keras's
// quantized variables (kernel, kernel_scale[, kernel_zero, g_idx]; embeddings, embeddings_scale[,
// embeddings_zero, g_idx]) in place of its float kernel. Shapes come from the same analysis the
// layers build with (layers' analyzeQuantization, planProduct, kernelScaleShape), so a 27B
// architecture is listed without allocating anything. Also the weight bytes per preset and mode.
import { analyzeQuantization, kernelScaleShape, planProduct } from '@tensorzoo/layers';
import { gemmaVariableSpecs, resolveGemmaConfig, type GemmaBackboneConfig } from './gemma-config.js';
import { parseLayerQuantization, type LayerQuantization, type QuantizationMode } from './gemma-quantization.js';
import { quantizedLayersFor } from './gemma-host-quantize.js';
import { gemmaPresets } from '../presets/index.js';

export interface GemmaVariableSpec {
  path: string;
  shape: number[];
  /** 'float32', 'bfloat16', 'float16' or 'int8' (Keras's variable dtype names). */
  dtype: string;
}

// The EinsumDense equations of a Gemma block (gemma-attention.ts, gemma-decoder-block.ts).
const equations: Record<string, string> = {
  'attention/query': 'btd,ndh->btnh',
  'attention/key': 'bsd,kdh->bskh',
  'attention/value': 'bsd,kdh->bskh',
  'attention/attention_output': 'btnh,nhd->btd',
  ffw_gating: 'btd,df->btf',
  ffw_gating_2: 'btd,df->btf',
  ffw_linear: 'btf,fd->btd',
};

/** The quantized variables replacing one float kernel [kernelShape] of layer `layerPath`. */
function quantizedKernelSpecs(layerPath: string, kernelShape: number[], quantization: LayerQuantization): GemmaVariableSpec[] {
  const { mode, blockSize } = parseLayerQuantization(quantization);
  if (layerPath === 'token_embedding') {
    const [inputDim, outputDim] = kernelShape as [number, number];
    if (mode === 'int8')
      return [
        { path: `${layerPath}/embeddings`, shape: [inputDim, outputDim], dtype: 'int8' },
        { path: `${layerPath}/embeddings_scale`, shape: [inputDim], dtype: 'float32' },
      ];
    const packed = { path: `${layerPath}/embeddings`, shape: [inputDim, Math.ceil(outputDim / 2)], dtype: 'int8' };
    if (blockSize === -1) return [packed, { path: `${layerPath}/embeddings_scale`, shape: [inputDim], dtype: 'float32' }];
    const groups = [inputDim, Math.ceil(outputDim / blockSize!)];
    return [
      packed,
      { path: `${layerPath}/embeddings_scale`, shape: groups, dtype: 'float32' },
      { path: `${layerPath}/embeddings_zero`, shape: groups, dtype: 'int8' },
      { path: `${layerPath}/g_idx`, shape: [outputDim], dtype: 'float32' },
    ];
  }
  const equation = equations[layerPath.slice(layerPath.indexOf('/') + 1)]!;
  const info = analyzeQuantization(equation, equation.split(',')[0]!.length);
  if (mode === 'int8')
    return [
      { path: `${layerPath}/kernel`, shape: kernelShape, dtype: 'int8' },
      { path: `${layerPath}/kernel_scale`, shape: kernelScaleShape(info, kernelShape), dtype: 'float32' },
    ];
  const { int4Rows: rows, int4Columns: columns } = planProduct(layerPath, info, kernelShape);
  const packed = { path: `${layerPath}/kernel`, shape: [rows, Math.ceil(columns / 2)], dtype: 'int8' };
  if (blockSize === -1) return [packed, { path: `${layerPath}/kernel_scale`, shape: [columns], dtype: 'float32' }];
  const groups = [Math.ceil(rows / blockSize!), columns];
  return [
    packed,
    { path: `${layerPath}/kernel_scale`, shape: groups, dtype: 'float32' },
    { path: `${layerPath}/kernel_zero`, shape: groups, dtype: 'int8' },
    { path: `${layerPath}/g_idx`, shape: [rows], dtype: 'float32' },
  ];
}

/**
 * Every variable's path, shape and dtype in Keras's `weights` order, without building a model;
 * quantized layers (config.quantizedLayers) list Keras's quantized variables.
 */
export function gemmaVariableSpecsWithDTypes(config: GemmaBackboneConfig): GemmaVariableSpec[] {
  const resolved = resolveGemmaConfig(config);
  const quantized = resolved.quantizedLayers ?? {};
  return gemmaVariableSpecs(config).flatMap(({ path, shape }) => {
    const layerPath = path.slice(0, path.lastIndexOf('/'));
    const quantization = quantized[layerPath];
    if (quantization === undefined) return [{ path, shape, dtype: resolved.dtype }];
    return quantizedKernelSpecs(layerPath, shape, quantization);
  });
}

const dtypeBytes: Record<string, number> = { float32: 4, bfloat16: 2, float16: 2, int8: 1 };

/** Bytes of a list of variables as stored (int8 1, bfloat16/float16 2, float32 4 per element). */
export function variableBytes(specs: readonly GemmaVariableSpec[]): number {
  return specs.reduce((total, spec) => total + spec.shape.reduce((size, dim) => size * dim, 1) * dtypeBytes[spec.dtype]!, 0);
}

/**
 * The weight memory of a configuration as tensorzoo holds it: 'float32', 'bfloat16', or
 * quantized 'int8' / 'int4' (Keras's default int4/128; norms in float32, as quantize leaves them).
 */
export function gemmaWeightBytes(config: GemmaBackboneConfig, mode: 'float32' | 'bfloat16' | QuantizationMode): number {
  if (mode === 'float32' || mode === 'bfloat16') return variableBytes(gemmaVariableSpecsWithDTypes({ ...config, dtype: mode, quantizedLayers: null }));
  return variableBytes(gemmaVariableSpecsWithDTypes({ ...config, dtype: 'float32', quantizedLayers: quantizedLayersFor(mode, config.numLayers) }));
}

export interface PresetWeightMemory {
  /** The built-in presets sharing this architecture. */
  presets: string[];
  parameters: number;
  bytes: { float32: number; bfloat16: number; int8: number; int4: number };
}

/** Weight bytes of every built-in preset in each mode, presets of one architecture together. */
export function gemmaPresetWeightMemory(): PresetWeightMemory[] {
  const rows = new Map<string, PresetWeightMemory>();
  for (const [name, preset] of Object.entries(gemmaPresets)) {
    const config = preset.config as unknown as GemmaBackboneConfig;
    const key = JSON.stringify(config);
    const existing = rows.get(key);
    if (existing) {
      existing.presets.push(name);
      continue;
    }
    const specs = gemmaVariableSpecsWithDTypes({ ...config, quantizedLayers: null });
    rows.set(key, {
      presets: [name],
      parameters: specs.reduce((total, spec) => total + spec.shape.reduce((size, dim) => size * dim, 1), 0),
      bytes: {
        float32: gemmaWeightBytes(config, 'float32'),
        bfloat16: gemmaWeightBytes(config, 'bfloat16'),
        int8: gemmaWeightBytes(config, 'int8'),
        int4: gemmaWeightBytes(config, 'int4'),
      },
    });
  }
  return [...rows.values()];
}
