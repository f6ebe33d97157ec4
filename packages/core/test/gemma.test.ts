// The Gemma pieces: rmsNorm in the (1 + scale) form computed in float32, the rotary embedding
// against a brute-force rotate-half with float32 angle math (KerasHub's RotaryEmbedding, spec
// §1.5), and the interleave of halves Gemma applies after it.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, readAndDispose, TestRandom } from './harness.js';
import { ravel, size, unravel } from './naive.js';

const toFloat32 = Math.fround;

/** rmsNorm over the last axis: x / sqrt(mean(x²) + eps) · (1 + scale), in float64. */
function naiveRmsNorm(values: number[], depth: number, scale: number[], epsilon: number): number[] {
  const out: number[] = [];
  for (let row = 0; row < values.length / depth; row++) {
    const line = values.slice(row * depth, row * depth + depth);
    const meanSquare = line.reduce((total, value) => total + value * value, 0) / depth;
    const inverse = 1 / Math.sqrt(meanSquare + epsilon);
    out.push(...line.map((value, index) => value * inverse * (1 + scale[index]!)));
  }
  return out;
}

/**
 * Brute-force rotary embedding: positions p = t + start (float32), inv_j = 1 / wavelength^(2j/H)
 * (float32, then / scaling), θ = p · inv_j (float32); pairs (j, j + H/2) rotate by θ_j.
 */
function naiveRope(x: { values: number[]; shape: number[] }, sequenceAxis: number, featureAxis: number, start = 0, wavelength = 10000, scaling = 1): number[] {
  const H = x.shape[featureAxis]!;
  const half = H / 2;
  const out = new Array<number>(x.values.length);
  for (let flat = 0; flat < x.values.length; flat++) {
    const index = unravel(flat, x.shape);
    const feature = index[featureAxis]!;
    const j = feature % half;
    const inverse = toFloat32(toFloat32(1 / toFloat32(wavelength ** toFloat32((2 * j) / H))) / scaling);
    const angle = toFloat32(toFloat32(index[sequenceAxis]! + start) * inverse);
    const cos = toFloat32(Math.cos(angle));
    const sin = toFloat32(Math.sin(angle));
    const partnerIndex = index.map((value, axis) => (axis === featureAxis ? (feature < half ? feature + half : feature - half) : value));
    const partner = x.values[ravel(partnerIndex, x.shape)]!;
    // y1 = x1 cos − x2 sin, y2 = x2 cos + x1 sin.
    out[flat] = x.values[flat]! * cos + (feature < half ? -partner : partner) * sin;
  }
  return out;
}

describeBackends('rmsNorm', ({ test }) => {
  test('random inputs and scales against the formula', async () => {
    const random = new TestRandom(1);
    for (const shape of [[8], [3, 16], [2, 3, 32]]) {
      const depth = shape[shape.length - 1]!;
      const x = randomFloatTensor(random, shape, -3, 3);
      const scale = randomFloatTensor(random, [depth], -0.5, 0.5);
      for (const epsilon of [1e-6, 1e-2]) {
        const expected = naiveRmsNorm(x.values, depth, scale.values, epsilon);
        await expectTensor(tz.rmsNorm(x.tensor, scale.tensor, epsilon), shape, 'float32', expected, 1e-6, 1e-5);
      }
      tz.dispose([x.tensor, scale.tensor]);
    }
  });

  test('hand-computed: zero scale is plain RMS normalisation; zero input stays zero', async () => {
    const x = tz.tensor([[3, 4]]);
    const zero = tz.zeros([2]);
    const rms = Math.sqrt((9 + 16) / 2 + 1e-6);
    await expectTensor(tz.rmsNorm(x, zero), [1, 2], 'float32', [3 / rms, 4 / rms], 1e-7, 1e-6);
    const ones = tz.ones([2]);
    await expectTensor(tz.rmsNorm(x, ones), [1, 2], 'float32', [6 / rms, 8 / rms], 1e-7, 1e-6);
    const zeroes = tz.zeros([2, 2]);
    await expectTensor(tz.rmsNorm(zeroes, ones), [2, 2], 'float32', [0, 0, 0, 0]);
    tz.dispose([x, zero, ones, zeroes]);
  });

  test('bfloat16 input and scale are computed in float32 and return float32', async () => {
    const random = new TestRandom(2);
    const x = randomFloatTensor(random, [2, 8]);
    const scale = randomFloatTensor(random, [8]);
    const xHalf = tz.cast(x.tensor, 'bfloat16');
    const scaleHalf = tz.cast(scale.tensor, 'bfloat16');
    const expected = naiveRmsNorm(Array.from(await xHalf.data()), 8, Array.from(await scaleHalf.data()), 1e-6);
    await expectTensor(tz.rmsNorm(xHalf, scaleHalf), [2, 8], 'float32', expected, 1e-6, 1e-5);
    tz.dispose([x.tensor, scale.tensor, xHalf, scaleHalf]);
  });

  test('errors', () => {
    const x = tz.zeros([2, 4]);
    const wrong = tz.zeros([3]);
    const scale = tz.zeros([4]);
    const scalar = tz.tensor(1);
    expectError(() => tz.rmsNorm(x, wrong), 'rmsNorm', "argument 'scale'", 'shape [4] (the last axis of x)', '[3]');
    expectError(() => tz.rmsNorm(scalar, scale), 'rmsNorm', "argument 'x'", 'rank ≥ 1');
    expectError(() => tz.rmsNorm(x, scale, -1), 'rmsNorm', "argument 'epsilon'", 'non-negative', '-1');
    expectError(() => tz.rmsNorm(x, 5 as unknown as tz.Tensor), 'rmsNorm', "argument 'scale'", 'a Tensor');
    tz.dispose([x, wrong, scale, scalar]);
  });
});

describeBackends('rotaryEmbedding', ({ test }) => {
  test('[B, T, N, H] against the brute-force rotate-half with float32 angles', async () => {
    const random = new TestRandom(3);
    for (const shape of [[1, 5, 2, 8], [2, 7, 3, 16], [1, 3, 1, 128]]) {
      const x = randomFloatTensor(random, shape);
      const expected = naiveRope(x, 1, 3);
      await expectTensor(tz.rotaryEmbedding(x.tensor), shape, 'float32', expected, 2e-6, 1e-5);
      x.tensor.dispose();
    }
  });

  test('startIndex shifts the positions (the cache update index)', async () => {
    const random = new TestRandom(4);
    const x = randomFloatTensor(random, [1, 4, 2, 8]);
    for (const startIndex of [1, 17, 1000]) {
      await expectTensor(tz.rotaryEmbedding(x.tensor, { startIndex }), x.shape, 'float32', naiveRope(x, 1, 3, startIndex), 2e-6, 1e-5);
    }
    x.tensor.dispose();
  });

  test('one position decoded at startIndex equals that row of the full sequence', async () => {
    const random = new TestRandom(5);
    const x = randomFloatTensor(random, [1, 6, 2, 8]);
    const full = await readAndDispose(tz.rotaryEmbedding(x.tensor));
    const row = tz.slice(x.tensor, [0, 4], [1, 1]);
    const single = await readAndDispose(tz.rotaryEmbedding(row, { startIndex: 4 }));
    expectClose(single.values, full.values.slice(4 * 16, 5 * 16), 1e-6, 1e-6);
    tz.dispose([x.tensor, row]);
  });

  test('maxWavelength, scalingFactor and other axis layouts', async () => {
    const random = new TestRandom(6);
    const x = randomFloatTensor(random, [2, 5, 6]);
    await expectTensor(tz.rotaryEmbedding(x.tensor, { maxWavelength: 500, scalingFactor: 4 }), x.shape, 'float32', naiveRope(x, 1, 2, 0, 500, 4), 2e-6, 1e-5);
    const sequenceFirst = randomFloatTensor(random, [5, 3, 2, 4]);
    await expectTensor(tz.rotaryEmbedding(sequenceFirst.tensor, { sequenceAxis: 0, featureAxis: -1, startIndex: 2 }), sequenceFirst.shape, 'float32', naiveRope(sequenceFirst, 0, 3, 2), 2e-6, 1e-5);
    tz.dispose([x.tensor, sequenceFirst.tensor]);
  });

  test('position 0 is the identity; a bfloat16 input returns float32', async () => {
    const x = tz.tensor([[[[1, 2, 3, 4]]]], [1, 1, 1, 4], 'bfloat16');
    await expectTensor(tz.rotaryEmbedding(x), [1, 1, 1, 4], 'float32', [1, 2, 3, 4]);
    x.dispose();
  });

  test('rotaryTables hold [θ_0..θ_{H/2-1}, θ_0..θ_{H/2-1}] per position', () => {
    const { cos, sin } = tz.rotaryTables(3, 4, 0);
    // H = 4: inv = [1, 1/100]; position 2 → angles [2, 0.02, 2, 0.02].
    expectClose(Array.from(cos.slice(8, 12)), [Math.cos(2), Math.cos(toFloat32(0.02)), Math.cos(2), Math.cos(toFloat32(0.02))], 1e-7, 0);
    expectClose(Array.from(sin.slice(8, 12)), [Math.sin(2), Math.sin(toFloat32(0.02)), Math.sin(2), Math.sin(toFloat32(0.02))], 1e-7, 0);
    expect(Array.from(cos.slice(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(sin.slice(0, 4))).toEqual([0, 0, 0, 0]);
  });

  test('errors', () => {
    const odd = tz.zeros([1, 2, 1, 5]);
    const vector = tz.zeros([4]);
    const x = tz.zeros([1, 2, 4]);
    expectError(() => tz.rotaryEmbedding(odd), 'rotaryEmbedding', "argument 'x'", 'an even feature dimension', '[1, 2, 1, 5]');
    expectError(() => tz.rotaryEmbedding(vector), 'rotaryEmbedding', "argument 'x'", 'rank ≥ 2', '[4]');
    expectError(() => tz.rotaryEmbedding(x, { sequenceAxis: 3 }), 'rotaryEmbedding', "argument 'sequenceAxis'", '[-3, 2]', '3');
    expectError(() => tz.rotaryEmbedding(x, { sequenceAxis: 2, featureAxis: 1 }), 'rotaryEmbedding', "argument 'sequenceAxis'", 'before featureAxis');
    expectError(() => tz.rotaryEmbedding(x, { sequenceAxis: -1 }), 'rotaryEmbedding', "argument 'sequenceAxis'", 'differ');
    expectError(() => tz.rotaryEmbedding(x, { startIndex: -1 }), 'rotaryEmbedding', "argument 'startIndex'", 'a non-negative integer', '-1');
    tz.dispose([odd, vector, x]);
  });
});

describeBackends('interleaveHalves', ({ test }) => {
  test('output 2j ← x[j], 2j+1 ← x[H/2 + j] on random batched input', async () => {
    const random = new TestRandom(7);
    const x = randomFloatTensor(random, [2, 3, 8]);
    const expected = Array.from({ length: size(x.shape) }, (_, flat) => {
      const [row, feature] = [Math.floor(flat / 8), flat % 8];
      return x.values[row * 8 + (feature % 2 === 0 ? feature / 2 : 4 + (feature - 1) / 2)]!;
    });
    await expectTensor(tz.interleaveHalves(x.tensor), [2, 3, 8], 'float32', expected);
    x.tensor.dispose();
  });

  test('hand-computed', async () => {
    const x = tz.tensor([0, 1, 2, 3, 10, 11, 12, 13]);
    await expectTensor(tz.interleaveHalves(x), [8], 'float32', [0, 10, 1, 11, 2, 12, 3, 13]);
    x.dispose();
  });

  test('errors', () => {
    const odd = tz.zeros([2, 3]);
    const scalar = tz.tensor(1);
    expectError(() => tz.interleaveHalves(odd), 'interleaveHalves', "argument 'x'", 'an even last dimension', '[2, 3]');
    expectError(() => tz.interleaveHalves(scalar), 'interleaveHalves', "argument 'x'", 'rank ≥ 1');
    tz.dispose([odd, scalar]);
  });
});
