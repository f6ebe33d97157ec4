// Gradients of reductions, data movement (reshape views, transpose, concat, slice, gather),
// scans and products against central finite differences, on every backend.
import * as tz from '@tensorzoo/core';
import { describeBackends } from '../harness.js';
import { checkGradients } from './finite-differences.js';

describeBackends('gradients: reductions, shapes, products', (suite) => {
  suite.test('sum over all, one and several axes, keepDims', () => {
    checkGradients((x) => tz.sum(x), [{ shape: [2, 3, 2] }]);
    checkGradients((x) => tz.sum(x, 1), [{ shape: [2, 3, 2] }]);
    checkGradients((x) => tz.sum(x, [0, 2], true), [{ shape: [2, 3, 2] }]);
  });

  suite.test('mean', () => checkGradients((x) => tz.mean(x, -1, true), [{ shape: [3, 4] }]));

  suite.test('max and min (distinct values)', () => {
    checkGradients((x) => tz.max(x, 1), [{ shape: [3, 4] }]);
    checkGradients((x) => tz.min(x, [0, 2]), [{ shape: [2, 3, 2] }]);
  });

  suite.test('reshape, expandDims, squeeze (views)', () =>
    checkGradients((x) => tz.mul(tz.squeeze(tz.expandDims(tz.reshape(x, [3, 2]), 0)), tz.reshape(x, [3, 2])), [{ shape: [2, 3] }]));

  suite.test('transpose', () => checkGradients((x) => tz.transpose(x, [2, 0, 1]), [{ shape: [2, 3, 4] }]));

  suite.test('concat, stack, split', () => {
    checkGradients((a, b) => tz.concat([a, b, a], 1), [{ shape: [2, 1] }, { shape: [2, 3] }]);
    checkGradients((a, b) => tz.stack([a, b], 1), [{ shape: [2, 3] }, { shape: [2, 3] }]);
    checkGradients((x) => tz.mul(tz.split(x, [1, 3], 1)[1]!, 2), [{ shape: [2, 4] }]);
  });

  suite.test('slice in the middle of every axis', () => checkGradients((x) => tz.slice(x, [1, 0, 1], [1, 2, 2]), [{ shape: [3, 2, 4] }]));

  suite.test('gather with repeated indices, any axis', () => {
    const indices = tz.tensor([[2, 0], [2, 2]], undefined, 'int32');
    try {
      checkGradients((x) => tz.gather(x, indices, 0), [{ shape: [3, 2] }]);
      checkGradients((x) => tz.gather(x, indices, 1), [{ shape: [2, 3, 2] }]);
    } finally {
      indices.dispose();
    }
  });

  suite.test('cumsum (plain, exclusive, reverse)', () => {
    checkGradients((x) => tz.cumsum(x, 1), [{ shape: [2, 4] }]);
    checkGradients((x) => tz.cumsum(x, 0, { exclusive: true, reverse: true }), [{ shape: [3, 2] }]);
  });

  for (const [transposeA, transposeB] of [[false, false], [false, true], [true, false], [true, true]])
    suite.test(`matMul transposeA=${transposeA} transposeB=${transposeB} with batch broadcasting`, () =>
      checkGradients((a, b) => tz.matMul(a, b, { transposeA, transposeB }), [
        { shape: transposeA ? [2, 1, 4, 3] : [2, 1, 3, 4] },
        { shape: transposeB ? [3, 2, 4] : [3, 4, 2] },
      ]));

  suite.test('matMul of vectors', () => {
    checkGradients((a, b) => tz.matMul(a, b), [{ shape: [3] }, { shape: [3, 2] }]);
    checkGradients((a, b) => tz.matMul(a, b), [{ shape: [2, 3] }, { shape: [3] }]);
  });

  suite.test('einsum as Gemma uses it (projections, grouped attention)', () => {
    checkGradients((x, w) => tz.einsum('btd,ndh->btnh', x, w), [{ shape: [1, 3, 4] }, { shape: [2, 4, 2] }]);
    checkGradients((q, k) => tz.einsum('btkgh,bskh->bkgts', q, k), [{ shape: [1, 2, 1, 2, 3] }, { shape: [1, 2, 1, 3] }]);
  });
});
