// LoRA on quantized layers as Keras allows it (enableLora after quantize): frozen quantized base,
// trainable float32 factors, outputs = quantized product + (alpha/r)·(x·A)·B, gradients reaching
// the factors through later quantized layers, Keras's merge-on-save (dequantize, add, requantize).
// Dtype policies: names, Keras's JSON as in KerasHub's quantized config.json, DTypePolicyMap.
import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { DTypePolicyMap, EinsumDense, Int4DTypePolicy, QuantizedDTypePolicy, ReversibleEmbedding, deserializeDTypePolicy, getDTypePolicy } from '@tensorzoo/layers';
import { describeBackends, expectClose, seededTensor, take } from './harness.js';

const randomB = { className: 'RandomUniform', config: { minval: -0.5, maxval: 0.5, seed: 9 } };

describeBackends('LoRA on quantized layers', (suite) => {
  for (const mode of ['int8', 'int4'] as const)
    suite.test(`${mode}: factors follow the float kernel's shape, base frozen, output = quantized + (alpha/r)·xAB`, () => {
      const layer = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], name: 'query' });
      const x = seededTensor([1, 2, 6], 31);
      layer.build([1, 2, 6]);
      layer.quantize(mode);
      const base = take(layer.apply(x)).values;
      layer.enableLora(2, { loraAlpha: 4, bInitializer: randomB });
      expect(layer.loraKernelA!.shape).toEqual([2, 6, 2]);
      expect(layer.loraKernelB!.shape).toEqual([2, 3]);
      expect(layer.trainableWeights.map((variable) => variable.name)).toEqual(['lora_kernel_a', 'lora_kernel_b']);
      expect(layer.nonTrainableWeights.map((variable) => variable.name)).toEqual(mode === 'int8' ? ['kernel', 'kernel_scale'] : ['kernel', 'kernel_scale', 'kernel_zero', 'g_idx']);
      const a = layer.loraKernelA!.numpy();
      const b = layer.loraKernelB!.numpy();
      const xv = x.dataSync();
      const expected = base.map((value, index) => {
        const [t, n, h] = [Math.floor(index / 6), Math.floor(index / 3) % 2, index % 3];
        let lora = 0;
        for (let r = 0; r < 2; r++) {
          let xa = 0;
          for (let d = 0; d < 6; d++) xa += xv[t * 6 + d]! * a[(n * 6 + d) * 2 + r]!;
          lora += xa * b[r * 3 + h]!;
        }
        return value + 2 * lora;
      });
      expectClose(take(layer.apply(x)).values, expected, 1e-5);
      x.dispose();
      layer.dispose();
    });

  suite.test('gradients reach the factors through a later quantized layer (int8 and int4), and the value is unchanged while recording', () => {
    const first = new EinsumDense({ equation: 'bd,df->bf', outputShape: 8, name: 'first' });
    const second = new EinsumDense({ equation: 'bf,fd->bd', outputShape: 5, name: 'second' });
    first.build([1, 6]);
    second.build([1, 8]);
    first.quantize('int8');
    second.quantize('int4');
    first.enableLora(2, { bInitializer: randomB });
    const x = seededTensor([3, 6], 32);
    const plain = take(tz.tidy(() => second.apply(first.apply(x)))).values;
    const { value, grads } = tz.gradientsOf(() => tz.sum(tz.square(second.apply(first.apply(x)))), [first.loraKernelA!.value, first.loraKernelB!.value]);
    expectClose(Array.from(value.dataSync()), [plain.reduce((total, item) => total + item * item, 0)], 1e-5);
    for (const gradient of grads) {
      expect(Array.from(gradient.dataSync()).some((item) => item !== 0 && Number.isFinite(item))).toBe(true);
      gradient.dispose();
    }
    value.dispose();
    x.dispose();
    first.dispose();
    second.dispose();
  });

  suite.test('save merges LoRA into the quantized kernel (dequantize, add, requantize) and load resets the factors', () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 4, biasAxes: 'c', name: 'dense' });
    layer.build([1, 8]);
    layer.quantize('int8');
    layer.enableLora(2, { bInitializer: randomB });
    const x = seededTensor([2, 8], 33);
    const withLora = take(layer.apply(x)).values;
    const saved = layer.saveOwnVariables();
    expect(saved.map((tensor) => [tensor.shape, tensor.dtype])).toEqual([
      [[8, 4], 'int8'],
      [[4], 'float32'],
      [[1, 4], 'float32'],
    ]);
    const copies = saved.map((tensor) => Array.from(tensor.dataSync()));
    const restored = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 4, biasAxes: 'c', name: 'dense', dtype: 'int8_from_float32' });
    restored.build([1, 8]);
    restored.loadOwnVariables(copies);
    // The merged kernel is quantized again: close to (not equal to) the float sum.
    expectClose(take(restored.apply(x)).values, withLora, 3e-2);
    layer.loadOwnVariables(copies);
    expect(Array.from(layer.loraKernelB!.numpy()).every((item) => item === 0)).toBe(true);
    x.dispose();
    layer.dispose();
    restored.dispose();
  });
});

describeBackends('quantized dtype policies', (suite) => {
  suite.test('names, dtypes and Keras’s JSON (as in KerasHub’s quantized config.json)', () => {
    const int8 = getDTypePolicy('int8_from_float32') as QuantizedDTypePolicy;
    expect([int8.constructor.name, int8.name, int8.mode, int8.variableDtype, int8.computeDtype, int8.quantizationMode]).toEqual([
      'QuantizedDTypePolicy', 'int8_from_float32', 'int8', 'float32', 'float32', 'int8',
    ]);
    const int4 = getDTypePolicy('int4/128_from_mixed_bfloat16') as Int4DTypePolicy;
    expect([int4.constructor.name, int4.name, int4.blockSize, int4.variableDtype, int4.computeDtype]).toEqual(['Int4DTypePolicy', 'int4/128_from_mixed_bfloat16', 128, 'float32', 'bfloat16']);
    expect(int8.toJSON()).toEqual({ module: 'keras.dtype_policies', class_name: 'QuantizedDTypePolicy', config: { mode: 'int8', source_name: 'float32' }, registered_name: null });
    expect(new Int4DTypePolicy('int4/None').name).toBe('int4/-1_from_float32');
    const map = DTypePolicyMap.fromJSON({
      module: 'keras.dtype_policies',
      class_name: 'DTypePolicyMap',
      config: {
        default_policy: null,
        policy_map: {
          token_embedding: { module: 'keras.dtype_policies', class_name: 'Int4DTypePolicy', config: { mode: 'int4/128', source_name: null }, registered_name: null },
          'decoder_block_0/attention/query': { module: 'keras.dtype_policies', class_name: 'QuantizedDTypePolicy', config: { mode: 'int8', source_name: null }, registered_name: null },
        },
      },
      registered_name: null,
    });
    expect(map.get('token_embedding').name).toBe('int4/128_from_float32');
    expect(map.get('decoder_block_0/attention/query').name).toBe('int8_from_float32');
    expect(map.get('final_normalization').name).toBe('float32');
    expect(JSON.parse(JSON.stringify(map))).toEqual({
      module: 'keras.dtype_policies',
      class_name: 'DTypePolicyMap',
      config: {
        default_policy: null,
        policy_map: {
          token_embedding: { module: 'keras.dtype_policies', class_name: 'Int4DTypePolicy', config: { mode: 'int4/128', source_name: null }, registered_name: null },
          'decoder_block_0/attention/query': { module: 'keras.dtype_policies', class_name: 'QuantizedDTypePolicy', config: { mode: 'int8', source_name: null }, registered_name: null },
        },
      },
      registered_name: null,
    });
    expect(() => deserializeDTypePolicy({ module: 'keras.dtype_policies', class_name: 'GPTQDTypePolicy', config: { mode: 'gptq/4/128' }, registered_name: null })).toThrow(
      /Expected one of \('int8', 'int4'\)/,
    );
    expect(() => getDTypePolicy('float8_from_float32')).toThrow(/Expected one of \('int8', 'int4'\)/);
    expect(() => getDTypePolicy('int8_from_float16')).toThrow(/doesn't work well with compute_dtype='float16'/);
  });

  suite.test('getConfig carries the quantized policy and fromConfig builds the layer quantized', () => {
    const layer = new ReversibleEmbedding({ inputDim: 10, outputDim: 4, name: 'token_embedding' });
    layer.build();
    layer.quantize('int8');
    const config = layer.getConfig();
    expect(config.dtype).toEqual({ module: 'keras.dtype_policies', class_name: 'QuantizedDTypePolicy', config: { mode: 'int8', source_name: 'float32' }, registered_name: null });
    const rebuilt = ReversibleEmbedding.fromConfig(config);
    rebuilt.build();
    expect(rebuilt.ownWeights.map((variable) => [variable.name, variable.dtype])).toEqual([
      ['embeddings', 'int8'],
      ['embeddings_scale', 'float32'],
    ]);
    rebuilt.loadOwnVariables(layer.saveOwnVariables().map((tensor) => tensor.dataSync()));
    const ids = tz.tensor([1, 9], [2], 'int32');
    expect(take(rebuilt.apply(ids)).values).toEqual(take(layer.apply(ids)).values);
    ids.dispose();
    layer.dispose();
    rebuilt.dispose();
  });
});
