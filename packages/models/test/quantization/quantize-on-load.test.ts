// Quantize-on-load through the host (src/gemma/gemma-host-quantize.ts): `fromPreset(…, { quantize })`
// builds the layers quantized and quantizes each float kernel as it is read (or drawn by its
// initializer), so no float kernel ever reaches the backend. Its weights must be bit for bit
// those of the path it replaces: load (or initialize) the float model, then quantize(mode).
import { afterEach, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { setRandomSeed } from '@tensorzoo/layers';
import { GemmaBackbone, type GemmaBackboneConfig } from '@tensorzoo/models';
import { hostQuantizeLimits } from '../../src/gemma/gemma-host-quantize.js';
import { describeBackends } from '../backends.js';
import { fixture, sameBits } from '../io/helpers.js';

const defaultSlab = hostQuantizeLimits.slabElements;
afterEach(() => {
  hostQuantizeLimits.slabElements = defaultSlab;
});

/** Every weight's path, shape, dtype and stored bytes; the layers' policies and quantizedLayers. */
function expectSameQuantizedModel(actual: GemmaBackbone, expected: GemmaBackbone, label: string): void {
  expect(actual.quantizedLayers, label).toEqual(expected.quantizedLayers);
  expect(actual.weights.map((variable) => `${variable.path} [${variable.shape.join(', ')}] ${variable.dtype}`), label).toEqual(
    expected.weights.map((variable) => `${variable.path} [${variable.shape.join(', ')}] ${variable.dtype}`),
  );
  actual.weights.forEach((variable, index) => {
    const other = expected.weights[index]!;
    expect(sameBits(variable.value.rawDataSync(), other.value.rawDataSync()), `${label}: ${variable.path} bits`).toBe(true);
  });
  expect(actual.allLayers.map((layer) => layer.dtypePolicy.name)).toEqual(expected.allLayers.map((layer) => layer.dtypePolicy.name));
  expect(actual.getConfig()).toEqual(expected.getConfig());
}

/** The float tensors (float32, bfloat16, float16) made on the backend while `body` runs: their sizes. */
function floatTensorSizesDuring<T>(body: () => Promise<T>): Promise<{ result: T; sizes: number[] }> {
  const sizes: number[] = [];
  const engine = tz.engine as unknown as { makeTensor: (...args: unknown[]) => tz.Tensor };
  const original = engine.makeTensor;
  engine.makeTensor = function (this: unknown, ...args: unknown[]) {
    const made = original.apply(this, args);
    if (made.dtype !== 'int8' && made.dtype !== 'int32' && made.dtype !== 'bool') sizes.push(made.size);
    return made;
  };
  const stopListening = tz.engine.addKernelListener((record) => {
    for (const output of record.outputs) if (output.dtype !== 'int8' && output.dtype !== 'int32' && output.dtype !== 'bool') sizes.push(output.size);
  });
  return body().then(
    (result) => {
      engine.makeTensor = original;
      stopListening();
      return { result, sizes };
    },
    (error) => {
      engine.makeTensor = original;
      stopListening();
      throw error;
    },
  );
}

const floatPresets = [
  { preset: 'keras_gemma2_quant', format: 'KerasHub' },
  { preset: 'keras_gemma_quant', format: 'KerasHub' },
  { preset: 'hf_gemma_native', format: 'Hugging Face' },
  { preset: 'hf_gemma2_native', format: 'Hugging Face' },
] as const;

describeBackends('quantize on load (host) equals load then quantize', () => {
  for (const { preset, format } of floatPresets)
    for (const mode of ['int8', 'int4'] as const)
      for (const dtype of ['float32', 'bfloat16'] as const)
        test(`${preset} (${format}) ${mode}, ${dtype} variables: bit for bit`, async () => {
          const streamed = await GemmaBackbone.fromPreset(fixture(preset), { quantize: mode, dtype });
          const reference = await GemmaBackbone.fromPreset(fixture(preset), { dtype });
          try {
            reference.quantize(mode);
            expectSameQuantizedModel(streamed, reference, `${preset} ${mode} ${dtype}`);
          } finally {
            streamed.dispose();
            reference.dispose();
          }
        });

  test('the embedding quantized by slabs of rows equals the whole table (several slabs, a short last one)', async () => {
    for (const mode of ['int8', 'int4'] as const) {
      hostQuantizeLimits.slabElements = 7 * 32; // 7 rows of 32 per slab
      const streamed = await GemmaBackbone.fromPreset(fixture('keras_gemma2_quant'), { quantize: mode, dtype: 'bfloat16' });
      hostQuantizeLimits.slabElements = defaultSlab;
      const whole = await GemmaBackbone.fromPreset(fixture('keras_gemma2_quant'), { quantize: mode, dtype: 'bfloat16' });
      try {
        expectSameQuantizedModel(streamed, whole, `slabs ${mode}`);
      } finally {
        streamed.dispose();
        whole.dispose();
      }
    }
  });

  // Seeded random weights (loadWeights: false): the same seeds in the same order, the same draws.
  // A built-in architecture made small, with groups of 128 that do not divide the sizes.
  const small: Partial<GemmaBackboneConfig> = { numLayers: 2, vocabularySize: 301, hiddenDim: 288, intermediateDim: 2 * 200, numQueryHeads: 2, numKeyValueHeads: 1, headDim: 144 };
  for (const preset of ['gemma_2b_en', 'gemma2_2b_en'])
    for (const mode of ['int8', 'int4'] as const)
      for (const dtype of ['float32', 'bfloat16'] as const)
        test(`loadWeights: false, ${preset} (made small) ${mode}, ${dtype}: bit for bit the float model's quantize`, async () => {
          hostQuantizeLimits.slabElements = 50 * 288;
          const { result: streamed, sizes } = await floatTensorSizesDuring(() =>
            GemmaBackbone.fromPreset(preset, { loadWeights: false, quantize: mode, dtype, seed: 1234, config: small }),
          );
          const config = await GemmaBackbone.presetConfig(preset);
          setRandomSeed(1234);
          const reference = new GemmaBackbone({ ...config, ...small, dtype });
          try {
            reference.quantize(mode);
            expectSameQuantizedModel(streamed, reference, `${preset} ${mode} ${dtype}`);
            // No float kernel or table reached the backend: the float tensors made are norm
            // scales, quantization scales and g_idx vectors, all smaller than the smallest float
            // kernel (key: 1 × 288 × 144).
            const smallestKernel = small.numKeyValueHeads! * small.hiddenDim! * small.headDim!;
            expect(sizes.length).toBeGreaterThan(0);
            expect(Math.max(...sizes)).toBeLessThan(smallestKernel / 8);
          } finally {
            streamed.dispose();
            reference.dispose();
          }
        });

  test('a bfloat16 model quantized on load decodes with the key/value cache (prefill, then one token at a time)', async () => {
    const backbone = await GemmaBackbone.fromPreset(fixture('keras_gemma2_quant'), { quantize: 'int8', dtype: 'bfloat16' });
    try {
      const prompt = [2, 17, 301, 5];
      const steps = 4;
      const lastLogits = (hidden: tz.Tensor) => tz.tidy(() => tz.argmax(tz.reshape(backbone.logits(tz.slice(hidden, [0, hidden.shape[1]! - 1, 0], [1, 1, -1])), [-1])).dataSync()[0]!);
      // Re-running the whole sequence each step (no cache) …
      const rerun = [...prompt];
      for (let step = 0; step < steps; step++) {
        const hidden = backbone.call({ tokenIds: [rerun] });
        rerun.push(lastLogits(hidden));
        hidden.dispose();
      }
      // … and the cached path give the same ids.
      let cache = backbone.emptyCache(1, prompt.length + steps);
      const cached = [...prompt];
      for (let step = 0; step < steps; step++) {
        const ids = step === 0 ? prompt : [cached.at(-1)!];
        const { hiddenStates, cache: next } = backbone.callWithCache([ids], cache, step === 0 ? 0 : cached.length - 1);
        cache.forEach((tensor) => tensor.dispose());
        cache = next;
        cached.push(lastLogits(hiddenStates));
        hiddenStates.dispose();
      }
      cache.forEach((tensor) => tensor.dispose());
      expect(cached).toEqual(rerun);
    } finally {
      backbone.dispose();
    }
  });

  test('a float kernel of the wrong shape names the file, the tensor and the layer', async () => {
    const { mkdtemp, rm, cp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const folder = await mkdtemp(join(tmpdir(), 'tensorzoo-qload-'));
    try {
      await cp(fixture('keras_gemma_quant'), folder, { recursive: true });
      const { readFile, writeFile } = await import('node:fs/promises');
      const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
      config.config.intermediate_dim += 2;
      await writeFile(join(folder, 'config.json'), JSON.stringify(config));
      await expect(GemmaBackbone.fromPreset(folder, { quantize: 'int8' })).rejects.toThrow(/model\.weights\.h5: tensor .*ffw_linear.* has shape \[\d+, \d+\], expected \[\d+, \d+\] for layer 'decoder_block_0\/ffw_linear'/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
