// The harness itself: the comparison helper, the error helper, the skip list and the naive
// definitions the op tests trust. A harness that passes everything would hide every bug.
import { describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { backendNames, expectClose, expectError, TestRandom } from './harness.js';
import { naiveEinsum, naiveMatMul, naiveReduce, naiveTranspose } from './naive.js';
import { skips } from './skips.js';

describe('expectClose', () => {
  test('accepts values within atol + rtol·|expected|, NaN for NaN, equal infinities', () => {
    expectClose([1, 2.0005, NaN, Infinity, -Infinity], [1, 2, NaN, Infinity, -Infinity], 0, 1e-3);
    expectClose(new Float32Array([0.1]), [[0.1]], 1e-7, 0);
    expectClose(3, [3]);
  });

  test('rejects values outside the tolerance and names the worst index', () => {
    expect(() => expectClose([1, 2, 3], [1, 2.1, 3], 1e-3, 0)).toThrow(/1 of 3 values differ.*\[1\] received 2, expected 2\.1/s);
    expect(() => expectClose([NaN], [0])).toThrow('received NaN, expected 0');
    expect(() => expectClose([Infinity], [1e30])).toThrow('differ');
    expect(() => expectClose([1, 2], [1])).toThrow('2 values received, 1 expected');
  });
});

describe('expectError', () => {
  test('fails when nothing is thrown, or the wrong op or text is named', () => {
    expect(() => expectError(() => 1, 'add')).toThrow('add should have thrown');
    expect(() => expectError(() => tz.argumentError('sub', 'a', 'x', 'y'), 'add')).toThrow('message names the op');
    expect(() => expectError(() => tz.argumentError('add', 'a', 'x', 'y'), 'add', 'missing text')).toThrow('missing text');
    expectError(() => tz.argumentError('add', 'a', 'a tensor', 'a string'), 'add', "argument 'a'", 'expected a tensor', 'received a string');
  });
});

describe('skips', () => {
  test('every skip names a backend, a test and a reason; the reference backend skips nothing', () => {
    for (const entry of skips) {
      expect(entry.backend.length, JSON.stringify(entry)).toBeGreaterThan(0);
      expect(entry.test.length, JSON.stringify(entry)).toBeGreaterThan(0);
      expect(entry.reason.length, `a skip needs a reason: ${JSON.stringify(entry)}`).toBeGreaterThan(10);
      expect(entry.backend).not.toBe('reference');
    }
  });

  test('the backend list defaults to the reference backend', () => {
    const saved = process.env.TENSORZOO_BACKENDS;
    try {
      delete process.env.TENSORZOO_BACKENDS;
      expect(backendNames()).toEqual(['reference']);
      process.env.TENSORZOO_BACKENDS = ' reference, wasm ,';
      expect(backendNames()).toEqual(['reference', 'wasm']);
    } finally {
      if (saved === undefined) delete process.env.TENSORZOO_BACKENDS;
      else process.env.TENSORZOO_BACKENDS = saved;
    }
  });
});

describe('naive definitions', () => {
  test('matMul, transpose and reductions on hand-computed cases', () => {
    expect(naiveMatMul({ values: [1, 2, 3, 4], shape: [2, 2] }, { values: [5, 6, 7, 8], shape: [2, 2] })).toEqual({ values: [19, 22, 43, 50], shape: [2, 2] });
    expect(naiveMatMul({ values: [1, 2], shape: [2] }, { values: [3, 4], shape: [2] })).toEqual({ values: [11], shape: [] });
    expect(naiveTranspose({ values: [1, 2, 3, 4, 5, 6], shape: [2, 3] }, [1, 0])).toEqual({ values: [1, 4, 2, 5, 3, 6], shape: [3, 2] });
    expect(naiveReduce({ values: [1, 2, 3, 4, 5, 6], shape: [2, 3] }, [1], true, (group) => group.length)).toEqual({ values: [3, 3], shape: [2, 1] });
  });

  test('einsum: matrix product, trace-free sum, ellipsis, implicit output order', () => {
    const a = { values: [1, 2, 3, 4], shape: [2, 2] };
    const b = { values: [5, 6, 7, 8], shape: [2, 2] };
    expect(naiveEinsum('ij,jk->ik', [a, b]).values).toEqual([19, 22, 43, 50]);
    expect(naiveEinsum('ij->', [a]).values).toEqual([10]);
    expect(naiveEinsum('...j,...j->...', [a, b]).values).toEqual([17, 53]);
    // Implicit output: letters used once, in code-point order (upper case first): 'Ba' → 'Ba'.
    expect(naiveEinsum('aB', [a]).values).toEqual([1, 3, 2, 4]);
  });

  test('the test generator is seeded', () => {
    const first = new TestRandom(5).floats(4);
    expect(new TestRandom(5).floats(4)).toEqual(first);
    expect(new TestRandom(6).floats(4)).not.toEqual(first);
  });
});
