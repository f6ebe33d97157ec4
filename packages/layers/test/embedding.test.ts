// Embedding and ReversibleEmbedding: lookups, id checks, masks, tied and untied reverse
// projections, the logit soft cap, reverse and policy dtypes (gemma.md §1.7, §2.1, §2.2).
import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { Embedding, ReversibleEmbedding } from '@tensorzoo/layers';
import { describeBackends, expectClose, take } from './harness.js';
import { naiveMatMul } from './naive.js';

/** [V, D] table with value 10·row + column, so a looked-up row names itself. */
function numberedTable(rows: number, columns: number): number[] {
  return Array.from({ length: rows * columns }, (_, index) => 10 * Math.floor(index / columns) + (index % columns));
}

describeBackends('Embedding', (suite) => {
  suite.test('looks rows up by id, any id shape; float ids are cast to int32', () => {
    const embedding = new Embedding({ inputDim: 4, outputDim: 3 });
    embedding.build();
    embedding.embeddingsVariable.assign(numberedTable(4, 3));
    const ids = tz.tensor([[3, 0], [1, 1]], undefined, 'int32');
    expect(take(embedding.apply(ids))).toEqual({ shape: [2, 2, 3], dtype: 'float32', values: [30, 31, 32, 0, 1, 2, 10, 11, 12, 10, 11, 12] });
    const floatIds = tz.tensor([2.0, 1.0]);
    expect(take(embedding.apply(floatIds)).values).toEqual([20, 21, 22, 10, 11, 12]);
    expect(embedding.weights.map((variable) => [variable.path, variable.shape])).toEqual([['embedding/embeddings', [4, 3]]]);
    tz.dispose([ids, floatIds]);
    embedding.dispose();
  });

  suite.test('rejects ids outside [0, inputDim) with the offending id and position', () => {
    const embedding = new Embedding({ inputDim: 5, outputDim: 2, name: 'token_embedding' });
    const ids = tz.tensor([0, 4, 5], [3], 'int32');
    expect(() => embedding.apply(ids)).toThrow("Embedding 'token_embedding': argument 'inputs' expected ids in [0, 5), received id 5 at flat index 2");
    const negative = tz.tensor([-1], [1], 'int32');
    expect(() => embedding.apply(negative)).toThrow(/received id -1 at flat index 0/);
    tz.dispose([ids, negative]);
    expect(() => new Embedding({ inputDim: 0, outputDim: 2 })).toThrow(/argument 'inputDim' expected a positive integer, received 0/);
    expect(() => new Embedding({ inputDim: true as never, outputDim: 2 })).toThrow(/argument 'inputDim' expected a positive integer, received true/);
    embedding.dispose();
  });

  suite.test("maskZero: computeMask is ids != 0; the default initializer is Keras's 'uniform' (±0.05)", () => {
    const masked = new Embedding({ inputDim: 50, outputDim: 40, maskZero: true });
    const plain = new Embedding({ inputDim: 3, outputDim: 2 });
    const ids = tz.tensor([[0, 2, 0, 1]], undefined, 'int32');
    expect(take(masked.computeMask(ids)!)).toEqual({ shape: [1, 4], dtype: 'bool', values: [0, 1, 0, 1] });
    expect(plain.computeMask(ids)).toBeNull();
    masked.build();
    const values = Array.from(masked.embeddingsVariable.numpy());
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.045);
    ids.dispose();
    masked.dispose();
  });

  suite.test('policies: the table in the variable dtype, rows cast to the compute dtype', () => {
    const mixed = new Embedding({ inputDim: 3, outputDim: 2, dtype: 'mixed_bfloat16' });
    mixed.build();
    mixed.embeddingsVariable.assign([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const ids = tz.tensor([2], [1], 'int32');
    const out = take(mixed.apply(ids));
    expect([mixed.embeddingsVariable.dtype, out.dtype]).toEqual(['float32', 'bfloat16']);
    expect(out.values).toEqual([0.5, 0.6015625]);
    ids.dispose();
    mixed.dispose();
  });
});

describeBackends('ReversibleEmbedding', (suite) => {
  suite.test('tied reverse: logits = hidden @ embeddings^T (hand-checked)', () => {
    const embedding = new ReversibleEmbedding({ inputDim: 3, outputDim: 2 });
    embedding.build();
    embedding.embeddingsVariable.assign([1, 0, 0, 1, 1, -1]); // rows e0 = [1, 0], e1 = [0, 1], e2 = [1, -1]
    expect(embedding.weights.map((variable) => variable.name)).toEqual(['embeddings']);
    const hidden = tz.tensor([[[2, 3]], [[-1, 4]]]);
    // [2, 3] → [2, 3, -1]; [-1, 4] → [-1, 4, -5].
    expect(take(embedding.apply(hidden, { reverse: true }))).toEqual({ shape: [2, 1, 3], dtype: 'float32', values: [2, 3, -1, -1, 4, -5] });
    hidden.dispose();
    embedding.dispose();
  });

  suite.test('logitSoftCap: cap · tanh(logits / cap)', () => {
    const embedding = new ReversibleEmbedding({ inputDim: 2, outputDim: 1, logitSoftCap: 5 });
    embedding.build();
    embedding.embeddingsVariable.assign([10, -2]);
    const hidden = tz.tensor([[1], [3]]);
    // logits [[10, -2], [30, -6]] → 5·tanh(logits / 5).
    expectClose(take(embedding.apply(hidden, { reverse: true })).values, [10, -2, 30, -6].map((value) => 5 * Math.tanh(value / 5)), 1e-6);
    // The forward direction is a plain lookup, uncapped.
    const ids = tz.tensor([0], [1], 'int32');
    expect(take(embedding.apply(ids)).values).toEqual([10]);
    tz.dispose([hidden, ids]);
    embedding.dispose();
  });

  suite.test('untied: reverse_embeddings [outputDim, inputDim] made by the same initializer; logits = hidden @ reverse', () => {
    const embedding = new ReversibleEmbedding({ inputDim: 5, outputDim: 3, tieWeights: false, name: 'token_embedding' });
    embedding.build();
    expect(embedding.weights.map((variable) => [variable.path, variable.shape])).toEqual([
      ['token_embedding/embeddings', [5, 3]],
      ['token_embedding/reverse_embeddings', [3, 5]],
    ]);
    expect(Math.max(...Array.from(embedding.reverseEmbeddingsVariable!.numpy(), Math.abs))).toBeLessThanOrEqual(0.05);
    const hidden = tz.randomUniform([2, 3], { minval: -1, maxval: 1, seed: 4 });
    const expected = naiveMatMul(hidden.dataSync(), embedding.reverseEmbeddingsVariable!.numpy(), 2, 3, 5);
    expectClose(take(embedding.apply(hidden, { reverse: true })).values, expected, 1e-6);
    hidden.dispose();
    embedding.dispose();
  });

  suite.test('reverse dtypes: mixed_bfloat16 promotes to float32 logits, bfloat16 stays bfloat16, reverseDtype casts both', () => {
    const hidden = tz.tensor([[0.3, -0.7]], undefined, 'bfloat16');
    const make = (config: Partial<ConstructorParameters<typeof ReversibleEmbedding>[0]>) => {
      const layer = new ReversibleEmbedding({ inputDim: 3, outputDim: 2, ...config });
      layer.build();
      layer.embeddingsVariable.assign([0.11, 0.22, 0.33, 0.44, 0.55, 0.66]);
      return layer;
    };
    const mixed = make({ dtype: 'mixed_bfloat16' });
    const pure = make({ dtype: 'bfloat16' });
    const forced = make({ reverseDtype: 'bfloat16' });
    expect(take(mixed.apply(hidden, { reverse: true })).dtype).toBe('float32');
    expect(take(pure.apply(hidden, { reverse: true })).dtype).toBe('bfloat16');
    const forcedOut = take(forced.apply(hidden, { reverse: true }));
    expect(forcedOut.dtype).toBe('bfloat16');
    const reference = tz.tidy(() => tz.cast(tz.matMul(hidden, tz.cast(forced.embeddingsVariable.value, 'bfloat16'), { transposeB: true }), 'bfloat16'));
    expect(forcedOut.values).toEqual(take(reference).values);
    hidden.dispose();
    [mixed, pure, forced].forEach((layer) => layer.dispose());
  });

  suite.test('reverse inputs must end in outputDim; the tied reverse uses the LoRA-merged table', () => {
    const embedding = new ReversibleEmbedding({ inputDim: 3, outputDim: 2, name: 'token_embedding' });
    const wrong = tz.zeros([1, 3]);
    embedding.build();
    expect(() => embedding.apply(wrong, { reverse: true })).toThrow(
      "ReversibleEmbedding 'token_embedding': argument 'inputs' expected hidden states whose last axis is 2 (reverse call), received a float32 tensor of shape [1, 3]",
    );
    embedding.enableLora(1);
    embedding.loraEmbeddingsB!.assign([1, 1]);
    const hidden = tz.tensor([[1, 0]]);
    const merged = embedding.embeddings.dataSync();
    expectClose(take(embedding.apply(hidden, { reverse: true })).values, [merged[0]!, merged[2]!, merged[4]!], 1e-6);
    tz.dispose([wrong, hidden]);
    embedding.dispose();
  });
});
