// LoRA as Keras does it (gemma.md §2.7): factor names and shapes, the frozen base, the effective
// kernel W + (alpha/r)·A@B (checked by brute force), unchanged outputs while B is zero, the
// He-uniform fan_in of a rank-3 A, errors, and the constructor form.
import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { Dense, EinsumDense, Embedding, HeUniform } from '@tensorzoo/layers';
import { describeBackends, expectClose, take } from './harness.js';
import { naiveEinsum, naiveMatMul } from './naive.js';

describeBackends('LoRA', (suite) => {
  suite.test('EinsumDense btd,ndh->btnh: factor shapes, paths, trainable weights and counts', () => {
    const query = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], name: 'query' });
    query.build([1, 4, 6]);
    query.enableLora(5);
    expect(query.weights.map((variable) => [variable.path, variable.shape, variable.dtype, variable.trainable])).toEqual([
      ['query/kernel', [2, 6, 3], 'float32', false],
      ['query/lora_kernel_a', [2, 6, 5], 'float32', true],
      ['query/lora_kernel_b', [5, 3], 'float32', true],
    ]);
    expect(query.trainableWeights.map((variable) => variable.name)).toEqual(['lora_kernel_a', 'lora_kernel_b']);
    expect(query.nonTrainableWeights.map((variable) => variable.name)).toEqual(['kernel']);
    expect(query.countParams()).toBe(2 * 6 * 3 + 2 * 6 * 5 + 5 * 3);
    expect([query.loraEnabled, query.loraRank, query.loraAlpha]).toEqual([true, 5, 5]);
    query.dispose();
  });

  suite.test('attention_output btnh,nhd->btd: A is kernel.shape[:-1] + [r], B is [r, D]', () => {
    const output = new EinsumDense({ equation: 'btnh,nhd->btd', outputShape: [null, 8], name: 'attention_output' });
    output.build([1, 2, 4, 3]);
    output.enableLora(2);
    expect(output.loraKernelA!.shape).toEqual([4, 3, 2]);
    expect(output.loraKernelB!.shape).toEqual([2, 8]);
    output.dispose();
  });

  suite.test('outputs equal the base outputs while B is zero', () => {
    const layer = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], biasAxes: 'h', biasInitializer: 'ones' });
    const inputs = tz.randomUniform([2, 4, 6], { minval: -1, maxval: 1, seed: 7 });
    const before = take(layer.apply(inputs));
    layer.enableLora(3);
    expect(Array.from(layer.loraKernelB!.numpy()).every((value) => value === 0)).toBe(true);
    expect(Array.from(layer.loraKernelA!.numpy()).some((value) => value !== 0)).toBe(true);
    expect(take(layer.apply(inputs)).values).toEqual(before.values);
    // The bias stays trainable: only the kernel is frozen.
    expect(layer.trainableWeights.map((variable) => variable.name)).toEqual(['bias', 'lora_kernel_a', 'lora_kernel_b']);
    inputs.dispose();
    layer.dispose();
  });

  suite.test('the effective kernel is W + (alpha/r)·A@B, and the output uses it', () => {
    const [n, d, h, rank, alpha] = [2, 6, 3, 4, 10];
    const layer = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, n, h] });
    layer.build([1, 1, d]);
    layer.enableLora(rank, { loraAlpha: alpha, bInitializer: { className: 'RandomUniform', config: { minval: -1, maxval: 1, seed: 3 } } });
    const w = layer.kernelVariable.numpy();
    const a = layer.loraKernelA!.numpy();
    const b = layer.loraKernelB!.numpy();
    // A: [n·d, r] rows, one B [r, h] shared by every leading index.
    const product = naiveMatMul(a, b, n * d, rank, h);
    const expected = Array.from(w, (value, index) => value + (alpha / rank) * product[index]!);
    expectClose(layer.kernel.dataSync(), expected, 1e-6);
    const inputs = tz.randomUniform([2, 3, d], { minval: -1, maxval: 1, seed: 9 });
    const reference = naiveEinsum('btd,ndh->btnh', [{ shape: [2, 3, d], values: inputs.dataSync() }, { shape: [n, d, h], values: expected }]);
    const output = take(layer.apply(inputs));
    expect(output.shape).toEqual(reference.shape);
    expectClose(output.values, reference.values, 1e-5);
    inputs.dispose();
    layer.dispose();
  });

  suite.test('the merged kernel is cached until a factor or the kernel is assigned; without LoRA it is the variable itself', () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2 });
    layer.build([1, 3]);
    expect(layer.kernel).toBe(layer.kernelVariable.value);
    layer.enableLora(1);
    const first = layer.kernel;
    expect(layer.kernel).toBe(first);
    layer.loraKernelB!.assign([1, 1]);
    const second = layer.kernel;
    expect(second).not.toBe(first);
    expect(first.isDisposed).toBe(true);
    // A: [3, 1], B: [1, 2] = 1 → every column of the kernel gains A's row value.
    const a = layer.loraKernelA!.numpy();
    const w = layer.kernelVariable.numpy();
    expectClose(second.dataSync(), Array.from(w, (value, index) => value + a[Math.floor(index / 2)]!), 1e-6);
    layer.kernelVariable.assign(new Float32Array(6));
    expectClose(layer.kernel.dataSync(), Array.from(w, (_, index) => a[Math.floor(index / 2)]!), 1e-6);
    layer.dispose();
  });

  suite.test("A is He-uniform with Keras's fan_in: prod(shape[:-2]) · shape[-2] for a rank-3 A", () => {
    const layer = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 4, 2] });
    layer.build([1, 1, 16]);
    layer.enableLora(3, { aInitializer: new HeUniform({ seed: 21 }) });
    // A: [4, 16, 3] → fan_in = 4 · 16 = 64, limit sqrt(6 / 64).
    const expected = take(new HeUniform({ seed: 21 }).call([4, 16, 3]));
    expect(Array.from(layer.loraKernelA!.numpy())).toEqual(expected.values);
    const limit = Math.sqrt(6 / 64);
    const largest = Math.max(...expected.values.map(Math.abs));
    expect(largest).toBeLessThanOrEqual(limit);
    expect(largest).toBeGreaterThan(0.9 * limit);
    // The default initializer draws from the same distribution.
    const defaultLayer = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 4, 2] });
    defaultLayer.build([1, 1, 16]);
    defaultLayer.enableLora(3);
    expect(Math.max(...Array.from(defaultLayer.loraKernelA!.numpy(), Math.abs))).toBeLessThanOrEqual(limit);
    layer.dispose();
    defaultLayer.dispose();
  });

  suite.test('errors: not built, enabled twice, a rank that is not a positive integer', () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2, name: 'proj' });
    expect(() => layer.enableLora(2)).toThrow(/EinsumDense 'proj'.enableLora: cannot enable LoRA on a layer that is not built yet/);
    layer.build([1, 3]);
    for (const rank of [0, -1, 1.5]) expect(() => layer.enableLora(rank)).toThrow(/argument 'rank' expected a positive integer/);
    layer.enableLora(2);
    expect(() => layer.enableLora(2)).toThrow(/LoRA is already enabled \(rank 2\); it can be enabled only once per layer/);
    expect(() => new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2, loraRank: 0 })).toThrow(/argument 'loraRank' expected a positive integer or null/);
    layer.dispose();
  });

  suite.test('constructor form: loraRank enables LoRA at build; alpha defaults to the rank; config round-trips', () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2, loraRank: 4 });
    expect([layer.loraEnabled, layer.loraRank, layer.loraAlpha]).toEqual([false, 4, 4]);
    layer.build([1, 3]);
    expect([layer.loraEnabled, layer.loraKernelA!.shape, layer.loraKernelB!.shape]).toEqual([true, [3, 4], [4, 2]]);
    const withAlpha = EinsumDense.fromConfig({ ...layer.getConfig(), name: 'copy', loraAlpha: 2 });
    expect(withAlpha.getConfig()).toMatchObject({ loraRank: 4, loraAlpha: 2 });
    withAlpha.build([1, 3]);
    expect(withAlpha.loraEnabled).toBe(true);
    const plain = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2 });
    expect('loraRank' in plain.getConfig()).toBe(false);
    plain.build([1, 3]);
    plain.enableLora(3, { loraAlpha: 6 });
    expect(plain.getConfig()).toMatchObject({ loraRank: 3, loraAlpha: 6 });
    [layer, withAlpha, plain].forEach((item) => item.dispose());
  });

  suite.test("trainable follows Keras: freezing a LoRA layer freezes all; unfreezing re-enables the kernel", () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2 });
    layer.build([1, 3]);
    layer.enableLora(1);
    layer.trainable = false;
    expect(layer.trainableWeights).toEqual([]);
    expect(layer.weights.every((variable) => !variable.trainable)).toBe(true);
    layer.trainable = true;
    // Keras's setter resets every variable created trainable, the base kernel included.
    expect(layer.trainableWeights.map((variable) => variable.name)).toEqual(['kernel', 'lora_kernel_a', 'lora_kernel_b']);
    layer.dispose();
  });

  suite.test('Dense: lora_kernel_a [in, r], lora_kernel_b [r, units], merged kernel and outputs', () => {
    const dense = new Dense({ units: 3, name: 'dense_lora' });
    const inputs = tz.randomUniform([2, 4], { minval: -1, maxval: 1, seed: 2 });
    const before = take(dense.apply(inputs));
    dense.enableLora(2, { loraAlpha: 1 });
    expect([dense.loraKernelA!.path, dense.loraKernelA!.shape, dense.loraKernelB!.shape]).toEqual(['dense_lora/lora_kernel_a', [4, 2], [2, 3]]);
    expect(take(dense.apply(inputs)).values).toEqual(before.values);
    dense.loraKernelB!.assign([1, 2, 3, 4, 5, 6]);
    const product = naiveMatMul(dense.loraKernelA!.numpy(), [1, 2, 3, 4, 5, 6], 4, 2, 3);
    const merged = Array.from(dense.kernelVariable.numpy(), (value, index) => value + 0.5 * product[index]!);
    expectClose(dense.kernel.dataSync(), merged, 1e-6);
    expectClose(take(dense.apply(inputs)).values, naiveMatMul(inputs.dataSync(), merged, 2, 4, 3), 1e-5);
    expect(dense.trainableWeights.map((variable) => variable.name)).toEqual(['bias', 'lora_kernel_a', 'lora_kernel_b']);
    inputs.dispose();
    dense.dispose();
  });

  suite.test('Embedding: lora_embeddings_a [V, r], lora_embeddings_b [r, D]; lookups use the merged table', () => {
    const embedding = new Embedding({ inputDim: 5, outputDim: 3, name: 'token_embedding' });
    embedding.build();
    embedding.enableLora(2);
    expect(embedding.weights.map((variable) => [variable.path, variable.shape, variable.trainable])).toEqual([
      ['token_embedding/embeddings', [5, 3], false],
      ['token_embedding/lora_embeddings_a', [5, 2], true],
      ['token_embedding/lora_embeddings_b', [2, 3], true],
    ]);
    embedding.loraEmbeddingsB!.assign([1, 0, -1, 0, 2, 0]);
    const product = naiveMatMul(embedding.loraEmbeddingsA!.numpy(), [1, 0, -1, 0, 2, 0], 5, 2, 3);
    const merged = Array.from(embedding.embeddingsVariable.numpy(), (value, index) => value + product[index]!);
    expectClose(embedding.embeddings.dataSync(), merged, 1e-6);
    const ids = tz.tensor([4, 1], [2], 'int32');
    expectClose(take(embedding.apply(ids)).values, [...merged.slice(12, 15), ...merged.slice(3, 6)], 1e-6);
    ids.dispose();
    embedding.dispose();
  });

  suite.test("save/load as Keras: the merged kernel is saved, a LoRA layer zeroes its factors on load, counts are checked", () => {
    const trained = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], biasAxes: 'h', name: 'query' });
    trained.build([1, 1, 4]);
    trained.enableLora(2, { bInitializer: { className: 'RandomUniform', config: { minval: -1, maxval: 1, seed: 6 } } });
    const saved = trained.saveOwnVariables();
    expect(saved.map((tensor) => tensor.shape)).toEqual([[2, 4, 3], [3]]);
    expect(saved[0]).toBe(trained.kernel);
    const inputs = tz.randomUniform([1, 2, 4], { minval: -1, maxval: 1, seed: 8 });
    const expected = take(trained.apply(inputs)).values;
    // A plain layer loads the merged kernel directly and computes the same outputs.
    const plain = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], biasAxes: 'h' });
    plain.build([1, 1, 4]);
    plain.loadOwnVariables(saved);
    expectClose(take(plain.apply(inputs)).values, expected, 1e-6);
    // A LoRA layer takes the merged kernel and resets A and B to zeros.
    const adapted = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], biasAxes: 'h', loraRank: 2 });
    adapted.build([1, 1, 4]);
    adapted.loadOwnVariables(saved);
    expect(Array.from(adapted.loraKernelA!.numpy()).every((value) => value === 0)).toBe(true);
    expectClose(take(adapted.apply(inputs)).values, expected, 1e-6);
    expect(() => plain.loadOwnVariables([saved[0]!])).toThrow("Layer 'einsum_dense' expected 2 variables, but received 1 variables during loading. Expected: [kernel, bias]");
    const embedding = new Embedding({ inputDim: 3, outputDim: 2 });
    embedding.build();
    embedding.loadOwnVariables([[1, 2, 3, 4, 5, 6]]);
    expect(Array.from(embedding.saveOwnVariables()[0]!.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    inputs.dispose();
    [trained, plain, adapted, embedding].forEach((layer) => layer.dispose());
  });

  suite.test('under a bfloat16 policy the factors are float32 and the merged kernel is rounded to bfloat16', () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 3, dtype: 'bfloat16' });
    layer.build([1, 2]);
    layer.enableLora(2, { loraAlpha: 3, bInitializer: { className: 'RandomUniform', config: { minval: -1, maxval: 1, seed: 12 } } });
    expect([layer.kernelVariable.dtype, layer.loraKernelA!.dtype, layer.loraKernelB!.dtype, layer.kernel.dtype]).toEqual(['bfloat16', 'float32', 'float32', 'bfloat16']);
    const product = naiveMatMul(layer.loraKernelA!.numpy(), layer.loraKernelB!.numpy(), 2, 2, 3);
    const exact = Array.from(layer.kernelVariable.numpy(), (value, index) => value + 1.5 * product[index]!);
    const rounded = take(tz.tensor(exact, [2, 3], 'bfloat16')).values;
    expect(Array.from(layer.kernel.dataSync())).toEqual(rounded);
    layer.dispose();
  });
});
