// Quantized GemmaBackbones as Keras 3 describes them (spec/keras-quantization): which layers
// `Model.quantize(mode)` quantizes, and the `DTypePolicyMap` that KerasHub writes into a
// quantized preset's config.json (`QuantizedDTypePolicy` for int8, `Int4DTypePolicy` for int4
// with its block size), read and written back as the same JSON.
import { argumentError, TensorzooError } from '@tensorzoo/core';
import { Int4DTypePolicy, QuantizedDTypePolicy, type DTypePolicy, type DTypePolicyName, type Layer } from '@tensorzoo/layers';

/** The modes `quantize(mode)` accepts here (Keras also has float8, ternary, gptq and awq). */
export const supportedQuantizationModes = ['int8', 'int4'] as const;
export type QuantizationMode = (typeof supportedQuantizationModes)[number];

/**
 * One layer's quantization as its Keras policy spells the mode: `'int8'`, or `'int4/<block>'`
 * (`'int4/128'` is Keras's default grouped int4; `'int4/-1'` is per-channel).
 */
export type LayerQuantization = 'int8' | `int4/${number}`;

/** Keras's default int4 block size (Int4QuantizationConfig, hence the `int4/128` policy). */
export const defaultInt4BlockSize = 128;

/** Throws the error naming the supported modes unless `mode` is one of them. */
export function checkQuantizationMode(op: string, mode: unknown): asserts mode is QuantizationMode {
  if (!supportedQuantizationModes.includes(mode as QuantizationMode))
    argumentError(
      op,
      'mode',
      `one of ${supportedQuantizationModes.map((name) => `'${name}'`).join(', ')} (Keras's float8, ternary, gptq and awq are not supported)`,
      typeof mode === 'string' ? `'${mode}'` : String(mode),
    );
}

/** The policy mode a `quantize(mode)` call gives each layer. */
export function layerQuantizationFor(mode: QuantizationMode): LayerQuantization {
  return mode === 'int8' ? 'int8' : `int4/${defaultInt4BlockSize}`;
}

/** 'int8' → { mode: 'int8' }; 'int4/128' → { mode: 'int4', blockSize: 128 }; -1 is per-channel. */
export function parseLayerQuantization(value: LayerQuantization): { mode: QuantizationMode; blockSize: number | null } {
  if (value === 'int8') return { mode: 'int8', blockSize: null };
  return { mode: 'int4', blockSize: Number(value.slice('int4/'.length)) };
}

/**
 * The dtype policy a layer is constructed with: its float policy, or Keras's quantized policy
 * over it (`int8_from_float32`, `int4/128_from_float32`), with which it builds quantized variables.
 */
export function quantizedLayerPolicy(quantization: LayerQuantization | undefined, floatPolicy: string): DTypePolicy | DTypePolicyName {
  if (quantization === undefined) return floatPolicy as DTypePolicyName;
  if (quantization === 'int8') return new QuantizedDTypePolicy('int8', floatPolicy as DTypePolicyName);
  return new Int4DTypePolicy(quantization, floatPolicy as DTypePolicyName);
}

export interface GemmaQuantizableLayout {
  numLayers: number;
}

/**
 * The layers `Model.quantize` quantizes in a GemmaBackbone, in Keras's `_flatten_layers` order
 * (the order of the saved `policy_map`): the token embedding, then per block the feed-forward
 * EinsumDenses and the attention EinsumDenses, each group last-created first. Norms, dropout,
 * softmax and rotary layers raise NotImplementedError in Keras and are skipped.
 */
export function gemmaQuantizableLayerPaths(layout: GemmaQuantizableLayout): string[] {
  const paths = ['token_embedding'];
  for (let index = 0; index < layout.numLayers; index++) {
    const block = `decoder_block_${index}`;
    paths.push(
      `${block}/ffw_linear`,
      `${block}/ffw_gating_2`,
      `${block}/ffw_gating`,
      `${block}/attention/attention_output`,
      `${block}/attention/value`,
      `${block}/attention/key`,
      `${block}/attention/query`,
    );
  }
  return paths;
}

const policyModule = 'keras.dtype_policies';

/** One layer's serialized policy, exactly as a DTypePolicyMap with `default_policy: null` writes it. */
function serializedPolicy(quantization: LayerQuantization): Record<string, unknown> {
  const className = quantization === 'int8' ? 'QuantizedDTypePolicy' : 'Int4DTypePolicy';
  return { module: policyModule, class_name: className, config: { mode: quantization, source_name: null }, registered_name: null };
}

/**
 * The backbone config's `dtype` for a quantized model: KerasHub's DTypePolicyMap with
 * `default_policy: null` (Keras then uses the global policy for the other layers) and one entry
 * per quantized layer in `_flatten_layers` order.
 */
export function toKerasDTypePolicyMap(quantizedLayers: Readonly<Record<string, LayerQuantization>>, layout: GemmaQuantizableLayout): Record<string, unknown> {
  const policyMap: Record<string, unknown> = {};
  for (const path of gemmaQuantizableLayerPaths(layout)) {
    const quantization = quantizedLayers[path];
    if (quantization !== undefined) policyMap[path] = serializedPolicy(quantization);
  }
  return { module: policyModule, class_name: 'DTypePolicyMap', config: { default_policy: null, policy_map: policyMap }, registered_name: null };
}

export interface ParsedDTypePolicyMap {
  /** The map's default float policy name, when it names one (null: Keras's global policy). */
  defaultPolicy: string | null;
  /** Quantized layer path → its quantization. */
  quantizedLayers: Record<string, LayerQuantization>;
}

function policyName(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  const name = (value as { config?: { name?: unknown } }).config?.name;
  return typeof name === 'string' ? name : null;
}

/**
 * Reads a serialized DTypePolicyMap (the `dtype` of a quantized backbone's config). Keys are layer
 * paths, or regular expressions matched against whole paths as Keras's `__getitem__` does. A
 * mode tensorzoo does not run, or a quantized policy on a layer Keras cannot quantize, is an
 * error naming the layer and `file`.
 */
export function parseKerasDTypePolicyMap(value: Record<string, any>, layout: GemmaQuantizableLayout, file: string): ParsedDTypePolicyMap {
  const config = value?.config;
  const policyMap = config?.policy_map;
  if (!policyMap || typeof policyMap !== 'object' || Array.isArray(policyMap))
    throw new TensorzooError(`${file}: the backbone's DTypePolicyMap has no "policy_map" object`);
  const quantizable = gemmaQuantizableLayerPaths(layout);
  const quantizedLayers: Record<string, LayerQuantization> = {};
  const defaultPolicy = policyName(config.default_policy);
  for (const [key, entry] of Object.entries(policyMap as Record<string, any>)) {
    const className = String(entry?.class_name ?? '');
    const mode = entry?.config?.mode;
    const fail = (why: string): never => {
      throw new TensorzooError(`${file}: layer '${key}' (${className || 'no class_name'}${mode !== undefined ? `, mode ${JSON.stringify(mode)}` : ''}): ${why}`);
    };
    let quantization: LayerQuantization;
    if (className === 'DTypePolicy' || className === 'FloatDTypePolicy') {
      // A float policy for one layer: tensorzoo runs one float dtype per backbone.
      const name = policyName(entry);
      if (name === null || name === defaultPolicy) continue;
      fail(`a per-layer float policy '${name}' is not supported (one float dtype per backbone)`);
    }
    if (className === 'QuantizedDTypePolicy' && mode === 'int8') quantization = 'int8';
    // Keras before 3.10 wrote per-channel int4 as QuantizedDTypePolicy(mode="int4").
    else if (className === 'QuantizedDTypePolicy' && mode === 'int4') quantization = 'int4/-1';
    else if (className === 'Int4DTypePolicy' && typeof mode === 'string' && /^int4\/(None|-1|[1-9]\d*)$/.test(mode))
      quantization = mode === 'int4/None' ? 'int4/-1' : (mode as LayerQuantization);
    else
      fail(
        `this quantization is not supported: tensorzoo reads ${supportedQuantizationModes.map((name) => `'${name}'`).join(' and ')} ` +
          `(QuantizedDTypePolicy mode "int8", Int4DTypePolicy mode "int4/<block size>")`,
      );
    const targets = quantizable.includes(key) ? [key] : matchingPaths(key, quantizable);
    if (targets.length === 0)
      fail(`no quantizable layer has this path (Keras quantizes token_embedding and the EinsumDense layers: ${quantizable.slice(0, 8).join(', ')}, …)`);
    for (const target of targets) {
      if (quantizedLayers[target] !== undefined && quantizedLayers[target] !== quantization!)
        fail(`layer '${target}' matches more than one dtype policy specification key`);
      quantizedLayers[target] = quantization!;
    }
  }
  return { defaultPolicy, quantizedLayers };
}

function matchingPaths(pattern: string, paths: readonly string[]): string[] {
  let expression: RegExp;
  try {
    expression = new RegExp(`^(?:${pattern})$`);
  } catch {
    return [];
  }
  return paths.filter((path) => expression.test(path));
}

/** Whether a serialized `dtype` is a DTypePolicyMap (a quantized or mixed-policy backbone). */
export function isKerasDTypePolicyMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && (value as { class_name?: unknown }).class_name === 'DTypePolicyMap';
}

interface QuantizableLayer extends Layer {
  quantize(mode: QuantizationMode): void;
}

/** What quantizeGemmaBackbone needs of a backbone (no import of the class: no cycle). */
export interface QuantizableBackbone {
  readonly config: { numLayers: number; quantizedLayers: Readonly<Record<string, LayerQuantization>> | null };
  readonly allLayers: Layer[];
}

/**
 * Model.quantize on a GemmaBackbone: checks the mode, then calls `quantize(mode)` on each layer
 * Keras quantizes, in `_flatten_layers` order. Nothing changes when any layer is already
 * quantized: that layer's own quantize raises Keras's "already quantized" error (the first such
 * layer in Keras's order, token_embedding for a quantized model). Returns the new quantizedLayers.
 */
export interface QuantizeOptions {
  /** Called after each layer is quantized: layers done, layers in all, that layer's path. */
  onProgress?: (loaded: number, total: number, layerPath: string) => void;
}

export function quantizeGemmaBackbone(backbone: QuantizableBackbone, mode: QuantizationMode, options: QuantizeOptions = {}): Record<string, LayerQuantization> {
  checkQuantizationMode('GemmaBackbone.quantize', mode);
  const byPath = new Map(backbone.allLayers.map((layer) => [layer.path, layer]));
  const paths = gemmaQuantizableLayerPaths(backbone.config);
  const layers = paths.map((path) => {
    const layer = byPath.get(path) as QuantizableLayer | undefined;
    if (!layer || typeof layer.quantize !== 'function') throw new TensorzooError(`GemmaBackbone.quantize: layer '${path}' cannot be quantized (no quantize method)`);
    return layer;
  });
  const already = Object.keys(backbone.config.quantizedLayers ?? {});
  if (already.length > 0) {
    const first = layers.find((layer) => already.includes(layer.path))!;
    first.quantize(mode);
    // Reached only if the layer did not raise: Keras's message, from its _check_quantize_args.
    throw new TensorzooError(`Layer '${first.name}' is already quantized with dtype_policy='${first.dtypePolicy.name}'. Received: mode=${mode}`);
  }
  layers.forEach((layer, index) => {
    layer.quantize(mode);
    options.onProgress?.(index + 1, layers.length, paths[index]!);
  });
  return Object.fromEntries(paths.map((path) => [path, layerQuantizationFor(mode)]));
}
