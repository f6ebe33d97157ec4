// Storage dtypes: bfloat16 and float16 bits (round to nearest even, NaN, infinities, subnormals),
// their round trips through tensors and cast, and how compute sees them (decoded to float32).
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectTensor, readAndDispose } from './harness.js';

const bitsToFloat = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

// [float32 bits, bfloat16 bits]: exact conversions, then the rounding cases.
const bfloat16Cases: [string, number, number][] = [
  ['1', 0x3f800000, 0x3f80],
  ['-2', 0xc0000000, 0xc000],
  ['+0', 0x00000000, 0x0000],
  ['-0', 0x80000000, 0x8000],
  ['+inf', 0x7f800000, 0x7f80],
  ['-inf', 0xff800000, 0xff80],
  ['halfway below an even value rounds down', 0x3f808000, 0x3f80],
  ['halfway below an odd value rounds up to even', 0x3f818000, 0x3f82],
  ['just above halfway rounds up', 0x3f808001, 0x3f81],
  ['just below halfway rounds down', 0x3f807fff, 0x3f80],
  ['negative halfway rounds to even', 0xbf818000, 0xbf82],
  ['the largest float32 rounds to inf', 0x7f7fffff, 0x7f80],
  ['a float32 subnormal keeps its top bits', 0x00010000, 0x0001],
  ['rounding carries into the exponent', 0x3fffffff, 0x4000],
];

// [label, value, float16 bits].
const float16Cases: [string, number, number][] = [
  ['1', 1, 0x3c00],
  ['-2', -2, 0xc000],
  ['+0', 0, 0x0000],
  ['-0', -0, 0x8000],
  ['the largest half', 65504, 0x7bff],
  ['just below the overflow threshold', 65519, 0x7bff],
  ['halfway to 65536 rounds to even: inf', 65520, 0x7c00],
  ['1e6 overflows to inf', 1e6, 0x7c00],
  ['-1e6 overflows to -inf', -1e6, 0xfc00],
  ['+inf', Infinity, 0x7c00],
  ['-inf', -Infinity, 0xfc00],
  ['the smallest normal', 2 ** -14, 0x0400],
  ['the largest subnormal', 1023 * 2 ** -24, 0x03ff],
  ['the smallest subnormal', 2 ** -24, 0x0001],
  ['half the smallest subnormal ties to even: 0', 2 ** -25, 0x0000],
  ['just above half the smallest subnormal', 2 ** -25 * 1.0000001, 0x0001],
  ['1.5 × the smallest subnormal ties to even: 2', 3 * 2 ** -25, 0x0002],
  ['below 2^-25 flushes to zero', 2 ** -26, 0x0000],
  ['negative subnormal', -(2 ** -24) * 5, 0x8005],
  ['a subnormal that rounds up to the smallest normal', 2 ** -14 - 2 ** -26, 0x0400],
  ['1 + 2^-11 ties to even: 1', 1 + 2 ** -11, 0x3c00],
  ['1 + 3·2^-11 ties to even: 1 + 2^-9', 1 + 3 * 2 ** -11, 0x3c02],
  ['just above halfway rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
  ['2047.5 → 2048 (carry into the exponent)', 2047.5, 0x6800],
  ['0.1', 0.1, 0x2e66],
];

describeBackends('storage dtypes', ({ test }) => {
  for (const [label, floatBits, expected] of bfloat16Cases)
    test(`float32 → bfloat16: ${label}`, () => {
      expect(tz.float32ToBfloat16Bits(bitsToFloat(floatBits)).toString(16)).toBe(expected.toString(16));
    });

  test('bfloat16 NaN stays a quiet NaN', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffc00000]) {
      const out = tz.float32ToBfloat16Bits(bitsToFloat(bits));
      expect(out & 0x7f80).toBe(0x7f80);
      expect(out & 0x007f).not.toBe(0);
      expect(Number.isNaN(tz.bfloat16BitsToFloat32(out))).toBe(true);
    }
  });

  test('bfloat16 → float32 is exact for every bit pattern', () => {
    for (let bits = 0; bits < 0x10000; bits += 7) {
      const value = tz.bfloat16BitsToFloat32(bits);
      if (Number.isNaN(value)) continue;
      expect(tz.float32ToBfloat16Bits(value)).toBe(bits);
    }
  });

  for (const [label, value, expected] of float16Cases)
    test(`float32 → float16: ${label}`, () => {
      expect(tz.float32ToFloat16Bits(value).toString(16)).toBe(expected.toString(16));
    });

  test('float16 NaN stays NaN and decodes to NaN', () => {
    const bits = tz.float32ToFloat16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
    expect(Number.isNaN(tz.float16BitsToFloat32(0x7e00))).toBe(true);
    expect(Number.isNaN(tz.float16BitsToFloat32(0xfc01))).toBe(true);
  });

  test('float16 decoding of subnormals, signed zero and infinities', () => {
    expect(tz.float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(tz.float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(tz.float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(tz.float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(tz.float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(tz.float16BitsToFloat32(0x7bff)).toBe(65504);
  });

  test('float16 → float32 → float16 is exact for every non-NaN bit pattern', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = tz.float16BitsToFloat32(bits);
      if (Number.isNaN(value)) continue;
      if (tz.float32ToFloat16Bits(value) !== bits) expect(tz.float32ToFloat16Bits(value).toString(16), `bits ${bits.toString(16)}`).toBe(bits.toString(16));
    }
  });

  for (const dtype of ['bfloat16', 'float16'] as const) {
    const decode = dtype === 'bfloat16' ? tz.bfloat16BitsToFloat32 : tz.float16BitsToFloat32;
    const encode = dtype === 'bfloat16' ? tz.float32ToBfloat16Bits : tz.float32ToFloat16Bits;
    const samples = [0, -0, 1, -1.5, 0.1, 3.14159, 1e-3, -65504, Infinity, -Infinity, NaN];

    test(`${dtype} tensors store rounded bits and read back decoded float32`, async () => {
      const x = tz.tensor(samples, [samples.length], dtype);
      expect(Array.from(x.rawDataSync())).toEqual(samples.map(encode));
      await expectTensor(x, [samples.length], dtype, samples.map((value) => decode(encode(value))));
    });

    test(`${dtype} tensors from a Uint16Array take the bits as they are`, async () => {
      const bits = new Uint16Array(samples.map(encode));
      const x = tz.tensor(bits, [bits.length], dtype);
      expect(Array.from(x.rawDataSync())).toEqual(Array.from(bits));
      x.dispose();
    });

    test(`cast float32 → ${dtype} → float32 rounds to nearest even`, async () => {
      const x = tz.tensor(samples);
      const stored = tz.cast(x, dtype);
      expect(stored.dtype).toBe(dtype);
      expect(Array.from(stored.rawDataSync())).toEqual(samples.map(encode));
      await expectTensor(tz.cast(stored, 'float32'), [samples.length], 'float32', samples.map((value) => decode(encode(value))));
      tz.dispose([x, stored]);
    });

    test(`cast ${dtype} → int32 truncates and → bool tests non-zero`, async () => {
      const x = tz.tensor([1.5, -2.5, 0, 7], [4], dtype);
      await expectTensor(tz.cast(x, 'int32'), [4], 'int32', [1, -2, 0, 7]);
      await expectTensor(tz.cast(x, 'bool'), [4], 'bool', [1, 1, 0, 1]);
      x.dispose();
    });

    test(`arithmetic on ${dtype} computes in float32`, async () => {
      const a = tz.tensor([1.5, 2], [2], dtype);
      const b = tz.tensor([0.25, 3], [2], dtype);
      await expectTensor(tz.add(a, b), [2], 'float32', [1.75, 5]);
      await expectTensor(tz.mul(a, 2), [2], 'float32', [3, 4]);
      await expectTensor(tz.sum(a), [], 'float32', [3.5]);
      await expectTensor(tz.exp(b), [2], 'float32', [Math.exp(0.25), Math.exp(3)], 1e-6, 1e-6);
      tz.dispose([a, b]);
    });

    test(`reshape and transpose keep ${dtype} storage`, async () => {
      const x = tz.tensor([1, 2, 3, 4, 5, 6], [2, 3], dtype);
      const view = tz.reshape(x, [3, 2]);
      const moved = tz.transpose(x);
      expect(view.dtype).toBe(dtype);
      expect(moved.dtype === dtype || moved.dtype === 'float32').toBe(true);
      await expectTensor(view, [3, 2], dtype, [1, 2, 3, 4, 5, 6]);
      expect((await readAndDispose(moved)).values).toEqual([1, 4, 2, 5, 3, 6]);
      x.dispose();
    });
  }

  // Every (from, to) pair: the expected value is the source's compute value converted to `to`
  // (float → int truncates, anything → bool tests ≠ 0, float32 → half rounds to nearest even).
  const castSamples = [0, 1, -1, 2.75, -2.75, 100.5, 1e-3, 70000];
  const computeValue = (value: number, dtype: tz.DType): number => {
    switch (dtype) {
      case 'float32':
        return Math.fround(value);
      case 'int32':
        return Number.isNaN(value) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(value)));
      case 'bool':
        return value !== 0 ? 1 : 0;
      case 'bfloat16':
        return tz.bfloat16BitsToFloat32(tz.float32ToBfloat16Bits(value));
      case 'float16':
        return tz.float16BitsToFloat32(tz.float32ToFloat16Bits(value));
      case 'int8':
        return Number.isNaN(value) ? 0 : Math.max(-128, Math.min(127, Math.trunc(value)));
    }
  };
  for (const from of tz.allDTypes)
    for (const to of tz.allDTypes)
      test(`cast ${from} → ${to}`, async () => {
        const x = tz.tensor(castSamples, [castSamples.length], from);
        const source = castSamples.map((value) => computeValue(value, from));
        await expectTensor(tz.cast(x, to), [castSamples.length], to, source.map((value) => computeValue(value, to)));
        x.dispose();
      });

  test('float → int32 saturates: NaN → 0, out-of-range and infinities → the nearest end', async () => {
    const x = tz.tensor([NaN, Infinity, -Infinity, 3e9, -3e9, 2147483520, -2.9]);
    await expectTensor(tz.cast(x, 'int32'), [7], 'int32', [0, 2147483647, -2147483648, 2147483647, -2147483648, 2147483520, -2]);
    x.dispose();
  });

  test('cast float16 → bfloat16 goes through float32', async () => {
    const x = tz.tensor([0.1, 1000.5, 2 ** -24], [3], 'float16');
    const y = tz.cast(x, 'bfloat16');
    const expected = [0.1, 1000.5, 2 ** -24].map((value) => tz.float32ToBfloat16Bits(tz.float16BitsToFloat32(tz.float32ToFloat16Bits(value))));
    expect(Array.from(y.rawDataSync())).toEqual(expected);
    tz.dispose([x, y]);
  });

  test('bool and int32 decode to themselves', async () => {
    const b = tz.tensor([true, false]);
    expect(await b.data()).toBeInstanceOf(Uint8Array);
    const ints = tz.tensor([1, 2], [2], 'int32');
    expect(await ints.data()).toBeInstanceOf(Int32Array);
    const floats = tz.tensor([1, 2], [2], 'bfloat16');
    expect(await floats.data()).toBeInstanceOf(Float32Array);
    tz.dispose([b, ints, floats]);
  });

  test('upcastDTypes follows NumPy for our dtypes', () => {
    expect(tz.upcastDTypes('int32', 'float32')).toBe('float32');
    expect(tz.upcastDTypes('bool', 'int32')).toBe('int32');
    expect(tz.upcastDTypes('bool', 'bool')).toBe('bool');
    expect(tz.upcastDTypes('bfloat16', 'int32')).toBe('float32');
    expect(tz.upcastDTypes('float16', 'bfloat16')).toBe('float32');
  });
});
