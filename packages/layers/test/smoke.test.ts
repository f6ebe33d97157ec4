import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { EinsumDense, Embedding, ReversibleEmbedding, RMSNormalization, Dense, Dropout } from '@tensorzoo/layers';
import { describeBackends, take, seededTensor } from './harness.js';

describeBackends('smoke', (suite) => {
  suite.test('gemma shapes', () => {
    const query = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 4, 16], name: 'query' });
    const x = seededTensor([2, 3, 48], 1);
    const y = query.apply(x);
    expect(y.shape).toEqual([2, 3, 4, 16]);
    expect(query.kernelVariable.shape).toEqual([4, 48, 16]);
    query.enableLora(4);
    const y2 = query.apply(x);
    expect(take(y2).values).toEqual(take(y).values);
    expect(query.weights.map((w) => w.path)).toEqual(['query/kernel', 'query/lora_kernel_a', 'query/lora_kernel_b']);
    x.dispose();
    query.dispose();
    const emb = new ReversibleEmbedding({ inputDim: 10, outputDim: 4, logitSoftCap: 30 });
    const ids = tz.tensor([[1, 2, 3]], undefined, 'int32');
    const h = emb.apply(ids);
    const logits = emb.apply(h, { reverse: true });
    expect(logits.shape).toEqual([1, 3, 10]);
    [ids, h, logits].forEach((t) => t.dispose());
    const norm = new RMSNormalization();
    const normInput = seededTensor([2, 5], 3);
    const n = norm.apply(normInput);
    normInput.dispose();
    expect(n.shape).toEqual([2, 5]);
    n.dispose();
    norm.dispose();
    emb.dispose();
    void Dense; void Dropout; void Embedding;
  });
});
