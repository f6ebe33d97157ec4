// Initializers: Keras's formulas checked through sample statistics and bounds, seeded
// reproducibility, names and configs.
import * as tz from '@tensorzoo/core';
import { describe, expect, test } from 'vitest';
import { computeFans, initializers, setRandomSeed, VarianceScaling } from '@tensorzoo/layers';
import { describeBackends, take } from './harness.js';

function statistics(values: number[]): { mean: number; std: number; min: number; max: number } {
  const mean = values.reduce((total, value) => total + value, 0) / values.length;
  const variance = values.reduce((total, value) => total + (value - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

describe('computeFans (backend-independent: arithmetic on shapes)', () => {
  test("Keras's rules for ranks 0 to 4 and explicit axes", () => {
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(computeFans([3, 5])).toEqual({ fanIn: 3, fanOut: 5 });
    // [N, D, r]: receptive field N → fan_in = N·D, fan_out = N·r.
    expect(computeFans([4, 48, 8])).toEqual({ fanIn: 192, fanOut: 32 });
    expect(computeFans([2, 3, 5, 7])).toEqual({ fanIn: 30, fanOut: 42 });
    expect(computeFans([4, 48, 16], [1], [0, 2])).toEqual({ fanIn: 48, fanOut: 64 });
  });
});

describeBackends('initializers', (suite) => {
  const shape = [64, 128];
  const count = 64 * 128;

  suite.test('Zeros, Ones, Constant, in float32 and bfloat16', () => {
    expect(take(new initializers.Zeros().call([2, 2])).values).toEqual([0, 0, 0, 0]);
    expect(take(new initializers.Ones().call([3])).values).toEqual([1, 1, 1]);
    const constant = take(new initializers.Constant({ value: 0.1 }).call([2], 'bfloat16'));
    expect(constant.dtype).toBe('bfloat16');
    expect(constant.values).toEqual([0.10009765625, 0.10009765625]); // 0.1 rounded to bfloat16
  });

  suite.test('RandomNormal, RandomUniform, TruncatedNormal: Keras defaults and sample statistics', () => {
    expect(new initializers.RandomNormal().getConfig()).toEqual({ mean: 0, stddev: 0.05, seed: null });
    expect(new initializers.RandomUniform().getConfig()).toEqual({ minval: -0.05, maxval: 0.05, seed: null });
    expect(new initializers.TruncatedNormal().getConfig()).toEqual({ mean: 0, stddev: 0.05, seed: null });
    const normal = statistics(take(new initializers.RandomNormal({ mean: 1, stddev: 2, seed: 1 }).call(shape)).values);
    expect(Math.abs(normal.mean - 1)).toBeLessThan(0.08);
    expect(Math.abs(normal.std - 2)).toBeLessThan(0.06);
    const uniform = statistics(take(new initializers.RandomUniform({ minval: -3, maxval: 1, seed: 2 }).call(shape)).values);
    expect(uniform.min).toBeGreaterThanOrEqual(-3);
    expect(uniform.max).toBeLessThan(1);
    expect(Math.abs(uniform.mean + 1)).toBeLessThan(0.05);
    expect(Math.abs(uniform.std - 4 / Math.sqrt(12))).toBeLessThan(0.03);
    const truncated = statistics(take(new initializers.TruncatedNormal({ mean: 0, stddev: 1, seed: 3 }).call(shape)).values);
    expect(Math.max(-truncated.min, truncated.max)).toBeLessThanOrEqual(2);
    expect(Math.abs(truncated.std - 0.87962566103423978)).toBeLessThan(0.02);
  });

  for (const mode of ['fan_in', 'fan_out', 'fan_avg'] as const)
    for (const distribution of ['truncated_normal', 'untruncated_normal', 'uniform'] as const)
      suite.test(`VarianceScaling ${mode} ${distribution}: standard deviation sqrt(scale / n) and bounds`, () => {
        // [64, 128]: fan_in 64, fan_out 128, fan_avg 96.
        const n = { fan_in: 64, fan_out: 128, fan_avg: 96 }[mode];
        const scale = 2;
        const expectedStd = Math.sqrt(scale / n);
        const values = take(new VarianceScaling({ scale, mode, distribution, seed: 4 }).call(shape)).values;
        expect(values.length).toBe(count);
        const stats = statistics(values);
        expect(Math.abs(stats.mean)).toBeLessThan(0.05 * expectedStd + 3 * expectedStd / Math.sqrt(count));
        expect(Math.abs(stats.std / expectedStd - 1)).toBeLessThan(0.04);
        const bound = distribution === 'uniform' ? Math.sqrt(3) * expectedStd : distribution === 'truncated_normal' ? (2 * expectedStd) / 0.87962566103423978 : Infinity;
        expect(Math.max(-stats.min, stats.max)).toBeLessThanOrEqual(bound * (1 + 1e-6));
        if (distribution === 'untruncated_normal') expect(Math.max(-stats.min, stats.max)).toBeGreaterThan(2.5 * expectedStd);
      });

  const variants: [string, number, 'fan_in' | 'fan_avg', boolean][] = [
    ['glorot_uniform', 1, 'fan_avg', true],
    ['glorot_normal', 1, 'fan_avg', false],
    ['he_uniform', 2, 'fan_in', true],
    ['he_normal', 2, 'fan_in', false],
    ['lecun_uniform', 1, 'fan_in', true],
    ['lecun_normal', 1, 'fan_in', false],
  ];
  for (const [name, scale, mode, uniform] of variants)
    suite.test(`${name} is VarianceScaling(${scale}, ${mode}, ${uniform ? 'uniform' : 'truncated_normal'})`, () => {
      const initializer = initializers.get(name) as VarianceScaling;
      expect([initializer.scale, initializer.mode, initializer.distribution]).toEqual([scale, mode, uniform ? 'uniform' : 'truncated_normal']);
      expect(initializer.getConfig()).toEqual({ seed: null });
      const seeded = initializers.get({ className: initializer.className, config: { seed: 8 } });
      const reference = new VarianceScaling({ scale, mode, distribution: uniform ? 'uniform' : 'truncated_normal', seed: 8 });
      expect(take(seeded.call([16, 24])).values).toEqual(take(reference.call([16, 24])).values);
    });

  suite.test('a seed gives the same values on every call; setRandomSeed makes unseeded ones reproducible', () => {
    const seeded = new initializers.GlorotUniform({ seed: 42 });
    const first = take(seeded.call([5, 7])).values;
    expect(take(seeded.call([5, 7])).values).toEqual(first);
    expect(take(new initializers.GlorotUniform({ seed: 43 }).call([5, 7])).values).not.toEqual(first);
    const unseeded = new initializers.RandomNormal();
    setRandomSeed(1234);
    const run1 = [take(unseeded.call([6])).values, take(unseeded.call([6])).values];
    setRandomSeed(1234);
    const run2 = [take(unseeded.call([6])).values, take(unseeded.call([6])).values];
    expect(run2).toEqual(run1);
    expect(run1[0]).not.toEqual(run1[1]);
  });

  suite.test('get: by instance, Keras names and aliases, class names and serialized configs', () => {
    const instance = new initializers.Zeros();
    expect(initializers.get(instance)).toBe(instance);
    expect(initializers.get('uniform').className).toBe('RandomUniform');
    expect(initializers.get('normal').className).toBe('RandomNormal');
    expect(initializers.get('GlorotUniform').className).toBe('GlorotUniform');
    const original = new VarianceScaling({ scale: 0.5, mode: 'fan_out', distribution: 'normal', seed: 3 });
    expect(original.distribution).toBe('truncated_normal');
    const copy = initializers.get(initializers.serialize(original)) as VarianceScaling;
    expect(copy.getConfig()).toEqual({ scale: 0.5, mode: 'fan_out', distribution: 'truncated_normal', seed: 3 });
    expect(take(copy.call([4, 4])).values).toEqual(take(original.call([4, 4])).values);
    const axes = new VarianceScaling({ seed: 1 }).withFanAxes([1], [0, 2]);
    expect(initializers.get(initializers.serialize(axes)).getConfig()).toMatchObject({ inputAxes: [1], outputAxes: [0, 2] });
    expect(() => initializers.get('orthogonal_typo')).toThrow(/initializers.get: argument 'identifier' expected one of zeros/);
    expect(() => initializers.get({ className: 'Nope', config: {} })).toThrow(/argument 'identifier.className' expected a registered initializer/);
  });

  suite.test('argument errors name the argument, what was expected and what was received', () => {
    expect(() => new VarianceScaling({ scale: 0 })).toThrow("VarianceScaling: argument 'scale' expected a positive number, received 0");
    expect(() => new VarianceScaling({ mode: 'fan_sum' as never })).toThrow(/argument 'mode' expected one of fan_in, fan_out, fan_avg, received fan_sum/);
    expect(() => new VarianceScaling({ distribution: 'gamma' as never })).toThrow(/argument 'distribution' expected one of truncated_normal, untruncated_normal, uniform/);
    expect(() => new VarianceScaling({ inputAxes: [0] })).toThrow(/argument 'outputAxes' expected both inputAxes and outputAxes, or neither/);
    expect(() => new initializers.RandomUniform({ minval: 1, maxval: 0 })).toThrow(/argument 'maxval' expected a number ≥ minval/);
    expect(() => new initializers.RandomNormal({ seed: 1.5 })).toThrow(/argument 'seed' expected an integer or null/);
    expect(() => new initializers.Zeros().call([2, -1])).toThrow(/argument 'shape' expected an array of non-negative integers/);
    void tz;
  });
});
