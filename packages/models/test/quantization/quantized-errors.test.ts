// Bad input around quantization: unsupported modes name the supported ones; quantizing twice is
// Keras's error and changes nothing; a quantized preset whose scales do not match its kernels,
// whose weights are float, or whose mode tensorzoo does not run, is an error naming the layer
// and the file; a save that fails leaves no folder and no temporary files behind.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { GemmaBackbone, GemmaCausalLM } from '@tensorzoo/models';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { writeKerasWeights } from '../../src/io/keras-weights-write.js';
import { gemmaKerasGroups } from '../../src/io/gemma-h5-layout.js';
import type { StoredTensor } from '../../src/io/stored-tensor.js';
import { fixture, layoutOf } from '../io/helpers.js';
import { quantReference } from './helpers.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tensorzoo-quant-errors-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A copy of a fixture preset with some datasets replaced (or the config edited). */
async function alteredPreset(name: string, label: string, change: { datasets?: (path: string, tensor: StoredTensor) => StoredTensor; config?: (config: any) => void }): Promise<string> {
  const folder = join(scratch, label);
  await cp(fixture(name), folder, { recursive: true });
  if (change.datasets) {
    const weights = await readKerasWeights(fixture(name));
    const entries = weights.paths().map((path) => ({ h5Path: path, tensor: change.datasets!(path, weights.get(path)) }));
    weights.close();
    await writeKerasWeights(folder, entries, { groups: gemmaKerasGroups(layoutOf(quantReference('keras_gemma2_quant_int8').config)) });
  }
  if (change.config) {
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    change.config(config);
    await writeFile(join(folder, 'config.json'), JSON.stringify(config, null, 4));
  }
  return folder;
}

describe('quantize(mode)', () => {
  let backbone: GemmaBackbone;
  beforeAll(async () => {
    backbone = await GemmaBackbone.fromPreset(fixture('keras_gemma2_quant'));
  });
  afterAll(() => backbone?.dispose());

  test.each(['float8', 'gptq', 'awq', 'ternary', 'int16', 'Int8'])('an unsupported mode (%s) names the supported modes and changes nothing', (mode) => {
    expect(() => backbone.quantize(mode as 'int8')).toThrow(/GemmaBackbone\.quantize: argument 'mode' expected one of 'int8', 'int4'/);
    expect(backbone.quantizedLayers).toEqual({});
    expect(backbone.weights.every((variable) => variable.dtype === 'float32')).toBe(true);
  });

  test("quantizing twice is Keras's error (naming token_embedding) and changes nothing", () => {
    backbone.quantize('int8');
    const before = backbone.weights.map((variable) => `${variable.path}:${variable.dtype}:${variable.shape}`);
    for (const mode of ['int8', 'int4'] as const)
      expect(() => backbone.quantize(mode)).toThrow(new RegExp(`Layer 'token_embedding' is already quantized with dtype_policy='int8_from_float32'\\. Received: mode=${mode}`));
    expect(backbone.weights.map((variable) => `${variable.path}:${variable.dtype}:${variable.shape}`)).toEqual(before);
    expect(new Set(Object.values(backbone.quantizedLayers))).toEqual(new Set(['int8']));
  });
});

describe('quantized presets that cannot load name the layer and the file', () => {
  test('a kernel_scale whose shape does not match its kernel', async () => {
    const folder = await alteredPreset('keras_gemma2_quant_int8', 'bad-scale', {
      datasets: (path, tensor) =>
        path === 'layers/gemma_decoder_block_1/attention/query_dense/vars/1' ? { shape: [1, 1, 4, 7], dtype: 'float32', data: (tensor.data as Float32Array).slice(0, 28) } : tensor,
    });
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(
      `${join(folder, 'model.weights.h5')}: layer 'decoder_block_1/attention/query' (quantized int8): kernel_scale (/layers/gemma_decoder_block_1/attention/query_dense/vars/1) has shape [1, 1, 4, 7], expected [1, 1, 4, 8] (for its kernel [4, 32, 8])`,
    );
  });

  test('a packed int4 kernel of the wrong size', async () => {
    const folder = await alteredPreset('keras_gemma2_quant_int4', 'bad-int4', {
      datasets: (path, tensor) => (path === 'layers/gemma_decoder_block/ffw_linear/vars/0' ? { shape: [32, 15], dtype: 'int8', data: (tensor.data as Int8Array).slice(0, 480) } : tensor),
    });
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(
      /model\.weights\.h5: layer 'decoder_block_0\/ffw_linear' \(quantized int4\/128\): kernel \(\/layers\/gemma_decoder_block\/ffw_linear\/vars\/0\) has shape \[32, 15\], expected \[32, 16\]/,
    );
  });

  test('a float kernel where the policy says int8', async () => {
    const folder = await alteredPreset('keras_gemma2_quant_int8', 'float-kernel', {
      datasets: (path, tensor) => (path === 'layers/gemma_decoder_block/gating_ffw/vars/0' ? { shape: tensor.shape, dtype: 'float32', data: Float32Array.from(tensor.data as Int8Array) } : tensor),
    });
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/layer 'decoder_block_0\/ffw_gating' \(quantized int8\): kernel \(\/layers\/gemma_decoder_block\/gating_ffw\/vars\/0\) is stored as float32, expected int8/);
  });

  test('a config that says quantized over float weights', async () => {
    const folder = join(scratch, 'float-weights');
    await cp(fixture('keras_gemma2_quant'), folder, { recursive: true });
    await cp(fixture('keras_gemma2_quant_int8', 'config.json'), join(folder, 'config.json'));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(
      /model\.weights\.h5: layer 'token_embedding' \(quantized int8\) expected 2 variables \(embeddings \[2048, 32\] int8, embeddings_scale \[2048\] float32\), but the file holds 1 in \/layers\/reversible_embedding\/vars \(a float layer: the config says quantized but the weights are not\)/,
    );
  });

  test.each([
    ['QuantizedFloat8DTypePolicy', 'float8'],
    ['GPTQDTypePolicy', 'gptq/4/128'],
    ['AWQDTypePolicy', 'awq/4/128'],
  ])('a %s layer (mode %s)', async (className, mode) => {
    const folder = await alteredPreset('keras_gemma2_quant_int8', `mode-${className}`, {
      config: (config) => {
        config.config.dtype.config.policy_map['decoder_block_2/attention/value'] = { module: 'keras.dtype_policies', class_name: className, config: { mode, source_name: null }, registered_name: null };
      },
    });
    await expect(GemmaCausalLM.fromPreset(folder)).rejects.toThrow(
      `${join(folder, 'config.json')}: layer 'decoder_block_2/attention/value' (${className}, mode "${mode}"): this quantization is not supported: tensorzoo reads 'int8' and 'int4'`,
    );
  });
});

describe('nothing half-written', () => {
  test('a save that fails part way leaves no preset folder and no temporary folder', async () => {
    const model = await GemmaCausalLM.fromPreset(fixture('keras_gemma2_quant_int8'));
    try {
      const layer = model.backbone.transformerLayers[2]!.gatingFfw;
      const spy = vi.spyOn(layer, 'saveOwnVariables').mockImplementation(() => {
        throw new Error('disk full (simulated)');
      });
      const parent = join(scratch, 'failed-save');
      await expect(model.saveToPreset(join(parent, 'preset'))).rejects.toThrow('disk full (simulated)');
      spy.mockRestore();
      expect(await readdir(parent)).toEqual([]);
    } finally {
      model.backbone.dispose();
    }
  });
});

test('fromPreset({ loadWeights: false, quantize }) quantizes the (random) architecture without reading weights', async () => {
  const backbone = await GemmaBackbone.fromPreset(fixture('keras_gemma2_quant'), { loadWeights: false, quantize: 'int4' });
  try {
    expect(new Set(Object.values(backbone.quantizedLayers))).toEqual(new Set(['int4/128']));
    expect(backbone.weights.map((variable) => ({ path: variable.path, shape: [...variable.shape], dtype: variable.dtype }))).toEqual(quantReference('keras_gemma2_quant_int4').weights);
  } finally {
    backbone.dispose();
  }
});
