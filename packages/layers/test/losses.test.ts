// Sparse categorical cross-entropy: values against a float64 host twin, every reduction, sample
// weights (a padding mask), ignoreClass, probabilities input, its gradient (softmax - onehot,
// scaled by the weights), and errors.
import { expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { SparseCategoricalCrossentropy, sparseCategoricalCrossentropy } from '@tensorzoo/layers';
import { describeBackends } from './harness.js';

const logits = [[[2, 1, 0.1], [0.5, 2.5, -1]], [[0, 0, 0], [1, -1, 3]]];
const targets = [[0, 1], [2, 2]];
const mask = [[1, 1], [1, 0]];

/** −log softmax(z)[target], in float64. */
function hostLoss(row: number[], target: number): number {
  const top = Math.max(...row);
  const total = row.reduce((sum, value) => sum + Math.exp(value - top), 0);
  return -(row[target]! - top - Math.log(total));
}
const perEntry = logits.map((rows, batch) => rows.map((row, position) => hostLoss(row, targets[batch]![position]!)));

async function scalar(tensor: tz.Tensor): Promise<number> {
  const value = (await tensor.data())[0]!;
  tensor.dispose();
  return value;
}

describeBackends('losses: sparse categorical cross-entropy', (suite) => {
  suite.test('from logits: every reduction, with and without a padding mask', async () => {
    const yPred = tz.tensor(logits);
    const flat = perEntry.flat();
    const maskedSum = perEntry[0]![0]! + perEntry[0]![1]! + perEntry[1]![0]!;
    expect(await scalar(sparseCategoricalCrossentropy(targets, yPred))).toBeCloseTo(flat.reduce((a, b) => a + b) / 4, 5);
    expect(await scalar(sparseCategoricalCrossentropy(targets, yPred, { sampleWeight: mask }))).toBeCloseTo(maskedSum / 3, 5);
    expect(await scalar(sparseCategoricalCrossentropy(targets, yPred, { sampleWeight: mask, reduction: 'sum_over_batch_size' }))).toBeCloseTo(maskedSum / 4, 5);
    expect(await scalar(sparseCategoricalCrossentropy(targets, yPred, { sampleWeight: mask, reduction: 'sum' }))).toBeCloseTo(maskedSum, 5);
    const none = sparseCategoricalCrossentropy(targets, yPred, { sampleWeight: mask, reduction: 'none' });
    expect(none.shape).toEqual([2, 2]);
    Array.from(await none.data()).forEach((value, index) => expect(value).toBeCloseTo(index === 3 ? 0 : flat[index]!, 5));
    none.dispose();
    expect(await scalar(sparseCategoricalCrossentropy(targets, yPred, { sampleWeight: [[0, 0], [0, 0]] }))).toBe(0);
    expect(await scalar(new SparseCategoricalCrossentropy({ ignoreClass: 2 }).call(targets, yPred))).toBeCloseTo((perEntry[0]![0]! + perEntry[0]![1]!) / 2, 5);
    yPred.dispose();
  });

  suite.test('from probabilities (clipped at 1e-7)', async () => {
    const probabilities = tz.tensor([[0.7, 0.2, 0.1], [0, 1, 0]]);
    const loss = await scalar(sparseCategoricalCrossentropy([1, 0], probabilities, { fromLogits: false }));
    expect(loss).toBeCloseTo((-Math.log(0.2) - Math.log(1e-7)) / 2, 4);
    probabilities.dispose();
  });

  suite.test('bfloat16 logits are computed in float32', async () => {
    const yPred = tz.tidy(() => tz.cast(tz.tensor(logits), 'bfloat16'));
    const value = await scalar(sparseCategoricalCrossentropy(targets, yPred));
    expect(value).toBeCloseTo(perEntry.flat().reduce((a, b) => a + b) / 4, 1);
    yPred.dispose();
  });

  suite.test('gradient = (softmax - onehot) · weight / Σ weights', async () => {
    const yPred = tz.tensor(logits);
    const weights = tz.tensor(mask);
    const gradient = tz.grad((x) => sparseCategoricalCrossentropy(targets, x, { sampleWeight: weights }))(yPred);
    const values = Array.from(await gradient.data());
    logits.flat().forEach((row, entry) => {
      const top = Math.max(...row);
      const total = row.reduce((sum, value) => sum + Math.exp(value - top), 0);
      const weight = mask.flat()[entry]! / 3;
      row.forEach((value, klass) => {
        const expected = (Math.exp(value - top) / total - (klass === targets.flat()[entry] ? 1 : 0)) * weight;
        expect(values[entry * 3 + klass]).toBeCloseTo(expected, 5);
      });
    });
    tz.dispose([yPred, weights, gradient]);
  });

  suite.test('errors name the argument, the expectation and what was received', () => {
    const yPred = tz.tensor(logits);
    expect(() => sparseCategoricalCrossentropy([[0, 1]], yPred)).toThrow(/argument 'yTrue' expected shape \[2, 2\] \(yPred without its class axis\), received \[1, 2\]/);
    expect(() => sparseCategoricalCrossentropy([[0, 1], [3, 0]], yPred)).toThrow(/argument 'yTrue' expected class ids in \[0, 2\], received 3 at flat position 2/);
    expect(() => sparseCategoricalCrossentropy(targets, yPred, { reduction: 'mean' as 'sum' })).toThrow(/argument 'reduction' expected one of weighted_mean/);
    expect(() => sparseCategoricalCrossentropy(targets, yPred, { sampleWeight: [[1, 1, 1]] })).toThrow(/sampleWeight/);
    yPred.dispose();
  });
});

test('SparseCategoricalCrossentropy getConfig', () => {
  expect(new SparseCategoricalCrossentropy().getConfig()).toEqual({ name: 'sparse_categorical_crossentropy', fromLogits: true, reduction: 'weighted_mean', ignoreClass: null });
});
