// The DTypePolicyMap of a quantized KerasHub preset: read from config.json into
// `quantizedLayers`, written back as the same JSON, and the errors for what tensorzoo does not run.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { TensorzooError } from '@tensorzoo/core';
import { fromKerasConfig, resolveGemmaConfig, toKerasConfig } from '../../src/gemma/gemma-config.js';
import { checkQuantizationMode, gemmaQuantizableLayerPaths } from '../../src/gemma/gemma-quantization.js';
import { readKerasBackboneConfig } from '../../src/gemma/gemma-loader.js';
import { fixture } from '../io/helpers.js';
import { quantFixtures } from './helpers.js';

const configJson = (name: string) => JSON.parse(readFileSync(fixture(name, 'config.json'), 'utf8')) as { config: Record<string, any> };

describe.each(quantFixtures)('$name config.json', ({ name, mode }) => {
  test('every quantizable layer is quantized with the fixture mode, in Keras order', () => {
    const config = fromKerasConfig(configJson(name).config);
    const expected = mode === 'int8' ? 'int8' : 'int4/128';
    expect(Object.keys(config.quantizedLayers!)).toEqual(gemmaQuantizableLayerPaths({ numLayers: config.numLayers }));
    expect(new Set(Object.values(config.quantizedLayers!))).toEqual(new Set([expected]));
    expect(config.dtype).toBeUndefined();
  });

  test('written back as the same JSON (the DTypePolicyMap included)', () => {
    const original = configJson(name).config;
    const written = toKerasConfig(resolveGemmaConfig(fromKerasConfig(original)));
    expect(JSON.parse(JSON.stringify(written))).toEqual(original);
    expect(Object.keys(written)).toEqual(Object.keys(original));
  });
});

function withPolicy(entry: Record<string, unknown>, key = 'decoder_block_0/attention/query') {
  const config = structuredClone(configJson('keras_gemma2_quant_int8').config);
  config.dtype.config.policy_map[key] = entry;
  return config;
}

describe('unsupported policies name the layer and the file', () => {
  test.each([
    ['QuantizedFloat8DTypePolicy', 'float8'],
    ['GPTQDTypePolicy', 'gptq/4/128'],
    ['AWQDTypePolicy', 'awq/4/128'],
    ['QuantizedDTypePolicy', 'ternary'],
  ])('%s mode %s', (className, mode) => {
    const config = withPolicy({ module: 'keras.dtype_policies', class_name: className, config: { mode, source_name: null }, registered_name: null });
    expect(() => fromKerasConfig(config, '/presets/q/config.json')).toThrow(TensorzooError);
    expect(() => fromKerasConfig(config, '/presets/q/config.json')).toThrow(
      new RegExp(`^/presets/q/config\\.json: layer 'decoder_block_0/attention/query' \\(${className}, mode "${mode.replace(/\//g, '\\/')}"\\): this quantization is not supported: tensorzoo reads 'int8' and 'int4'`),
    );
  });

  test('a quantized policy on a layer Keras does not quantize', () => {
    const config = withPolicy({ module: 'keras.dtype_policies', class_name: 'QuantizedDTypePolicy', config: { mode: 'int8', source_name: null }, registered_name: null }, 'decoder_block_0/pre_ffw_norm');
    expect(() => readKerasBackboneConfig({ ...configJson('keras_gemma2_quant_int8'), config }, 'x/config.json')).toThrow(
      /^x\/config\.json: layer 'decoder_block_0\/pre_ffw_norm' \(QuantizedDTypePolicy, mode "int8"\): no quantizable layer has this path/,
    );
  });

  test('regex keys match whole paths, as Keras does', () => {
    const config = structuredClone(configJson('keras_gemma2_quant').config);
    config.dtype = {
      module: 'keras.dtype_policies',
      class_name: 'DTypePolicyMap',
      config: { default_policy: null, policy_map: { 'decoder_block_1/.*': { module: 'keras.dtype_policies', class_name: 'Int4DTypePolicy', config: { mode: 'int4/64', source_name: null }, registered_name: null } } },
      registered_name: null,
    };
    expect(fromKerasConfig(config).quantizedLayers).toEqual(
      Object.fromEntries(gemmaQuantizableLayerPaths({ numLayers: 3 }).filter((path) => path.startsWith('decoder_block_1/')).map((path) => [path, 'int4/64'])),
    );
  });
});

test('checkQuantizationMode names the supported modes', () => {
  for (const mode of ['float8', 'gptq', 'awq', 'int 8', 'INT8', undefined])
    expect(() => checkQuantizationMode('GemmaBackbone.quantize', mode)).toThrow(
      /^GemmaBackbone\.quantize: argument 'mode' expected one of 'int8', 'int4' \(Keras's float8, ternary, gptq and awq are not supported\), received/,
    );
  expect(() => checkQuantizationMode('x', 'int4')).not.toThrow();
});

test('the config rejects quantizedLayers that are not quantizable layers or modes', () => {
  const base = { vocabularySize: 16, numLayers: 1, numQueryHeads: 2, numKeyValueHeads: 1, hiddenDim: 8, intermediateDim: 8, headDim: 4 };
  expect(() => resolveGemmaConfig({ ...base, quantizedLayers: { final_normalization: 'int8' } })).toThrow(/argument 'quantizedLayers' expected keys among the quantizable layers/);
  expect(() => resolveGemmaConfig({ ...base, quantizedLayers: { token_embedding: 'int2' as never } })).toThrow(/argument 'quantizedLayers\['token_embedding'\]' expected 'int8' or 'int4\/<block size>'/);
});
