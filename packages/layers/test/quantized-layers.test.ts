// Quantized layers (issue 13): Embedding tables quantize to KerasHub's tensors; each mode's call
// path against an independent composition of Keras's formulas (naive-quantization.ts) and against
// dequantize-then-float; the reverse (logits) path; Dense; building from a policy; Keras's errors.
import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { Dense, EinsumDense, Embedding, ReversibleEmbedding } from '@tensorzoo/layers';
import { describeBackends, expectClose, seededTensor, take } from './harness.js';
import { naiveAbsMax, naiveUnpack } from './naive-quantization.js';
import { fixture } from './quantization-fixtures.js';

function table(seed: number): ReversibleEmbedding {
  const layer = new ReversibleEmbedding({ inputDim: 256, outputDim: 32, name: 'token_embedding', logitSoftCap: 30 });
  layer.build();
  layer.embeddingsVariable.assign(fixture('embeddings.float').values);
  void seed;
  return layer;
}

/** Float dequantized table of an int4 grouped layer, rows × dim, from its stored variables. */
function dequantizedInt4(layer: Embedding): number[] {
  const q = naiveUnpack(layer.quantized!.embeddings.value.dataSync(), layer.inputDim, layer.outputDim);
  const scale = layer.quantized!.scale.value.dataSync();
  const zero = layer.quantized!.zero!.value.dataSync();
  return q.map((value, index) => (value - zero[Math.floor(index / layer.outputDim)]!) * scale[Math.floor(index / layer.outputDim)]!);
}

describeBackends('quantized Embedding / ReversibleEmbedding', (suite) => {
  suite.test('int8: the fixture rows quantize to KerasHub’s int8 table and scales; lookup = q / scale', () => {
    const layer = table(1);
    layer.quantize('int8');
    expect(layer.ownWeights.map((variable) => [variable.name, variable.shape, variable.dtype])).toEqual([
      ['embeddings', [256, 32], 'int8'],
      ['embeddings_scale', [256], 'float32'],
    ]);
    expect(Array.from(layer.quantized!.embeddings.value.dataSync())).toEqual(Array.from(fixture('embeddings.int8.embeddings').values));
    expectClose(layer.quantized!.scale.value.dataSync(), fixture('embeddings.int8.embeddings_scale').values, 1e-6);
    const ids = tz.tensor([3, 0, 255, 17], [2, 2], 'int32');
    const q = layer.quantized!.embeddings.value.dataSync();
    const scale = layer.quantized!.scale.value.dataSync();
    const expected = [3, 0, 255, 17].flatMap((id) => Array.from({ length: 32 }, (_, d) => Math.fround(q[id * 32 + d]! / scale[id]!)));
    const out = take(layer.apply(ids));
    expect(out.shape).toEqual([2, 2, 32]);
    expect(out.values).toEqual(expected);
    expect(layer.dtype).toBe('int8_from_float32');
    ids.dispose();
    layer.dispose();
  });

  suite.test('int4 (grouped, block 128): packed table, [rows, 1] scales and zeros, g_idx; lookup = (q − zero)·scale', () => {
    const layer = table(2);
    layer.quantize('int4');
    for (const name of ['embeddings', 'embeddings_scale', 'embeddings_zero', 'g_idx']) {
      const expected = fixture(`embeddings.int4.${name}`);
      const variable = layer.ownWeights.find((candidate) => candidate.name === name)!;
      expect(variable.shape, name).toEqual(expected.shape);
      if (name === 'embeddings_scale') expectClose(variable.value.dataSync(), expected.values, 1e-6);
      else expect(Array.from(variable.value.dataSync()), name).toEqual(Array.from(expected.values));
    }
    expect(layer.dtype).toBe('int4/128_from_float32');
    const dequantized = dequantizedInt4(layer);
    const ids = tz.tensor([5, 200, 0], [3], 'int32');
    const out = take(layer.apply(ids));
    expectClose(out.values, [5, 200, 0].flatMap((id) => dequantized.slice(id * 32, id * 32 + 32)), 1e-7);
    ids.dispose();
    layer.dispose();
  });

  suite.test('reverse int8: per-token quantized hidden × int8 table / (s_x·s_e), then the soft cap', () => {
    const layer = table(3);
    layer.quantize('int8');
    const hidden = seededTensor([2, 3, 32], 11);
    const h = hidden.dataSync();
    const { q: hq, scale: hs } = naiveAbsMax(h, 32);
    const e = layer.quantized!.embeddings.value.dataSync();
    const es = layer.quantized!.scale.value.dataSync();
    const expected: number[] = [];
    for (let m = 0; m < 6; m++)
      for (let v = 0; v < 256; v++) {
        let sum = 0;
        for (let k = 0; k < 32; k++) sum += hq[m * 32 + k]! * e[v * 32 + k]!;
        const logit = Math.fround(sum) / Math.fround(hs[m]! * es[v]!);
        expected.push(Math.tanh(logit / 30) * 30);
      }
    expectClose(take(layer.apply(hidden, { reverse: true })).values, expected, 1e-5);
    hidden.dispose();
    layer.dispose();
  });

  suite.test('reverse int4: float hidden × dequantized table (weight-only, as quantize("int4") leaves Keras), or quantized inputs on request', () => {
    for (const quantizeReverseInputs of [false, true]) {
      const layer = table(4);
      layer.quantize('int4', { quantizeReverseInputs });
      const hidden = seededTensor([3, 32], 12);
      const h = hidden.dataSync();
      const w = dequantizedInt4(layer);
      const { q: hq, scale: hs } = naiveAbsMax(h, 32);
      const expected: number[] = [];
      for (let m = 0; m < 3; m++)
        for (let v = 0; v < 256; v++) {
          let sum = 0;
          for (let k = 0; k < 32; k++) sum += (quantizeReverseInputs ? hq[m * 32 + k]! : h[m * 32 + k]!) * w[v * 32 + k]!;
          expected.push(Math.tanh((quantizeReverseInputs ? sum / hs[m]! : sum) / 30) * 30);
        }
      expectClose(take(layer.apply(hidden, { reverse: true })).values, expected, 1e-5);
      hidden.dispose();
      layer.dispose();
    }
  });

  suite.test('a layer built from a quantized policy has Keras’s quantized variables, and loads stored tensors', () => {
    const layer = new ReversibleEmbedding({ inputDim: 256, outputDim: 32, dtype: 'int4/128_from_float32', name: 'token_embedding' });
    layer.build();
    expect(layer.ownWeights.map((variable) => [variable.name, variable.shape, variable.dtype])).toEqual([
      ['embeddings', [256, 16], 'int8'],
      ['embeddings_scale', [256, 1], 'float32'],
      ['embeddings_zero', [256, 1], 'int8'],
      ['g_idx', [32], 'float32'],
    ]);
    layer.loadOwnVariables(['embeddings', 'embeddings_scale', 'embeddings_zero', 'g_idx'].map((name) => fixture(`embeddings.int4.${name}`).values));
    const reference = table(5);
    reference.quantize('int4');
    const ids = tz.tensor([1, 2, 3], [3], 'int32');
    expect(take(layer.apply(ids)).values).toEqual(take(reference.apply(ids)).values);
    expect(() => layer.quantize('int8')).toThrow(/already quantized with dtype_policy='int4\/128_from_float32'/);
    ids.dispose();
    layer.dispose();
    reference.dispose();
  });
});

describeBackends('quantized EinsumDense / Dense call paths', (suite) => {
  suite.test('EinsumDense int8 query (G = heads): per-token int8 × int8, / (s_x · s_w), bias after; ≈ dequantized float', () => {
    const layer = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 4, 8], biasAxes: 'h', biasInitializer: 'ones', name: 'query' });
    layer.build([1, 1, 32]);
    layer.kernelVariable.assign(fixture('query.float').values);
    const x = seededTensor([2, 3, 32], 21);
    const floatOut = take(layer.apply(x)).values;
    layer.quantize('int8');
    expect(layer.ownWeights.map((variable) => variable.name)).toEqual(['bias', 'kernel', 'kernel_scale']);
    const { q: xq, scale: xs } = naiveAbsMax(x.dataSync(), 32);
    const w = layer.quantized!.kernel.value.dataSync(); // [4, 32, 8]
    const ws = layer.quantized!.scale.value.dataSync(); // [1, 1, 4, 8]
    const expected: number[] = [];
    for (let m = 0; m < 6; m++)
      for (let n = 0; n < 4; n++)
        for (let h = 0; h < 8; h++) {
          let sum = 0;
          for (let d = 0; d < 32; d++) sum += xq[m * 32 + d]! * w[(n * 32 + d) * 8 + h]!;
          expected.push(Math.fround(sum) / Math.fround(xs[m]! * ws[n * 8 + h]!) + 1);
        }
    const out = take(layer.apply(x));
    expect(out.shape).toEqual([2, 3, 4, 8]);
    expectClose(out.values, expected, 1e-6);
    expectClose(out.values, floatOut, 5e-2);
    x.dispose();
    layer.dispose();
  });

  suite.test('EinsumDense int8 attention_output (reduces two axes, G = 1) and int4 (raw-reshaped packed kernel) against dequantized einsum', () => {
    for (const mode of ['int8', 'int4'] as const) {
      const layer = new EinsumDense({ equation: 'btnh,nhd->btd', outputShape: [null, 32], name: 'attention_output' });
      layer.build([1, 1, 4, 8]);
      layer.kernelVariable.assign(fixture('attention_output.float').values);
      layer.quantize(mode);
      const x = seededTensor([2, 2, 4, 8], 22);
      const xv = x.dataSync();
      // Dequantize the stored variables independently of src/.
      let w: number[];
      if (mode === 'int8') {
        const q = layer.quantized!.kernel.value.dataSync();
        const s = layer.quantized!.scale.value.dataSync(); // [1, 1, 32]
        w = Array.from(q, (value, index) => value / s[index % 32]!);
      } else {
        const q = naiveUnpack(layer.quantized!.kernel.value.dataSync(), 32, 32); // raw [32, 32] = kernel memory
        const s = layer.quantized!.scale.value.dataSync();
        const z = layer.quantized!.zero!.value.dataSync();
        w = q.map((value, index) => (value - z[index % 32]!) * s[index % 32]!);
      }
      const expected: number[] = [];
      const { q: xq, scale: xs } = naiveAbsMax(xv, 32);
      for (let m = 0; m < 4; m++)
        for (let d = 0; d < 32; d++) {
          let sum = 0;
          for (let k = 0; k < 32; k++) sum += (mode === 'int8' ? xq[m * 32 + k]! / xs[m]! : xv[m * 32 + k]!) * w[k * 32 + d]!;
          expected.push(sum);
        }
      expectClose(take(layer.apply(x)).values, expected, 1e-4);
      x.dispose();
      layer.dispose();
    }
  });

  suite.test('Dense int8 / int4 / int4 per-channel: Keras’s variables and outputs ≈ the float layer', () => {
    for (const [mode, blockSize, names] of [
      ['int8', undefined, [['kernel', [40, 6]], ['bias', [6]], ['kernel_scale', [6]]]],
      ['int4', undefined, [['kernel', [40, 3]], ['bias', [6]], ['kernel_scale', [1, 6]], ['kernel_zero', [1, 6]], ['g_idx', [40]]]],
      ['int4', -1, [['kernel', [40, 3]], ['bias', [6]], ['kernel_scale', [6]]]],
    ] as const) {
      const layer = new Dense({ units: 6, kernelInitializer: { className: 'RandomUniform', config: { minval: -1, maxval: 1, seed: 5 } } });
      const x = seededTensor([3, 40], 23);
      const floatOut = take(layer.apply(x)).values;
      layer.quantize(mode, { blockSize });
      const saved = layer.saveOwnVariables();
      const byName = new Map(layer.ownWeights.map((variable) => [variable.value, variable.name]));
      expect(saved.map((tensor) => [byName.get(tensor), tensor.shape])).toEqual(names);
      expect(layer.dtype).toBe(mode === 'int8' ? 'int8_from_float32' : `int4/${blockSize ?? 128}_from_float32`);
      expectClose(take(layer.apply(x)).values, floatOut, mode === 'int8' ? 3e-2 : 0.3);
      x.dispose();
      layer.dispose();
    }
  });

  suite.test('Keras’s errors: not built, quantizing twice, unsupported modes name int8 and int4', () => {
    const unbuilt = new Dense({ units: 2, name: 'd' });
    expect(() => unbuilt.quantize('int8')).toThrow(/Cannot quantize a layer that isn't yet built/i);
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2, name: 'e' });
    layer.build([1, 3]);
    for (const mode of ['float8', 'gptq', 'awq', 'int9', 'INT8'])
      expect(() => layer.quantize(mode as never), mode).toThrow(/Expected one of \('int8', 'int4'\)/);
    expect(layer.quantizationMode).toBeNull();
    layer.quantize('int4');
    expect(() => layer.quantize('int8')).toThrow(/Layer 'e' is already quantized with dtype_policy='int4\/128_from_float32'\. Received: mode=int8/);
    const embedding = new Embedding({ inputDim: 4, outputDim: 2 });
    embedding.build();
    expect(() => embedding.quantize('float8' as never)).toThrow(/Expected one of \('int8', 'int4'\)/);
    expect(() => embedding.quantize('int4', { blockSize: 0 })).toThrow(/block_size must be None, -1, or a positive integer/);
    embedding.dispose();
    layer.dispose();
    unbuilt.dispose();
  });
});
