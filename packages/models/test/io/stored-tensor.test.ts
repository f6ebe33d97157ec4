// Half-precision conversions and tensor validation.

import { expect, test } from 'vitest';

import {
  bfloat16BitsToFloat32,
  checkStoredTensor,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  storedDataFromBytes,
  toFloat32,
} from '../../src/io/stored-tensor.js';

function bitsOf(value: number): number {
  return new Uint32Array(Float32Array.of(value).buffer)[0]!;
}
function floatOf(bits: number): number {
  return new Float32Array(Uint32Array.of(bits).buffer)[0]!;
}

test('bfloat16 widening is a 16-bit shift', () => {
  expect([...bfloat16BitsToFloat32(Uint16Array.of(0x3f80, 0xc000, 0x0000, 0x8000, 0x7f80, 0x0001))]).toEqual([1, -2, 0, -0, Infinity, floatOf(0x00010000)]);
  expect(Number.isNaN(bfloat16BitsToFloat32(Uint16Array.of(0x7fc0))[0])).toBe(true);
});

test('float32 → bfloat16 rounds to nearest, ties to even (as ml_dtypes and PyTorch do)', () => {
  const halfUlp = 2 ** -8; // bf16 has 7 stored mantissa bits: one ulp at 1.0 is 2^-7
  const cases: [number, number][] = [
    [1, 0x3f80],
    [1 + halfUlp, 0x3f80], // tie, 0x3f80 is even
    [1 + 3 * halfUlp, 0x3f82], // tie, 0x3f82 is even
    [1 + halfUlp + 2 ** -20, 0x3f81], // just above the tie
    [-2.5, 0xc020],
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [floatOf(0x7f7fffff), 0x7f80], // the largest float32 rounds up to infinity
  ];
  for (const [value, bits] of cases) expect(float32ToBfloat16Bits(Float32Array.of(value))[0], String(value)).toBe(bits);
  // NaN stays NaN (quiet), even a signalling one whose payload sits in the dropped bits.
  expect(float32ToBfloat16Bits(Float32Array.of(floatOf(0x7f800001)))[0]).toBe(0x7fc0);
  expect(float32ToBfloat16Bits(Float32Array.of(floatOf(0xffc00000)))[0]).toBe(0xffc0);
  expect(bitsOf(bfloat16BitsToFloat32(Uint16Array.of(0x3f81))[0]!)).toBe(0x3f810000);
});

test('float16 widening covers normals, subnormals, infinities and NaN', () => {
  const values = float16BitsToFloat32(Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555));
  expect([...values]).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, -0, Math.fround(0.333251953125)]);
  expect(Number.isNaN(float16BitsToFloat32(Uint16Array.of(0x7e00))[0])).toBe(true);
});

test('toFloat32 returns float32 data itself and refuses integers', () => {
  const data = Float32Array.of(1, 2);
  expect(toFloat32({ shape: [2], dtype: 'float32', data })).toBe(data);
  expect([...toFloat32({ shape: [1], dtype: 'float64', data: Float64Array.of(0.1) })]).toEqual([Math.fround(0.1)]);
  expect(() => toFloat32({ shape: [1], dtype: 'int32', data: Int32Array.of(1) }, { tensor: 'ids' })).toThrow(/tensor "ids": expected a floating-point tensor, got int32/);
});

test('storedDataFromBytes copies only unaligned bytes', () => {
  const buffer = new Uint8Array(12);
  new Float32Array(buffer.buffer).set([1, 2, 3]);
  const aligned = storedDataFromBytes('float32', buffer.subarray(4));
  expect(aligned.buffer).toBe(buffer.buffer);
  expect([...aligned]).toEqual([2, 3]);
  const odd = new Uint8Array(9);
  odd.set(buffer.subarray(0, 8), 1);
  const copied = storedDataFromBytes('float32', odd.subarray(1));
  expect(copied.buffer).not.toBe(odd.buffer);
  expect([...copied]).toEqual([1, 2]);
  expect(() => storedDataFromBytes('float32', new Uint8Array(6))).toThrow(/6 bytes are not a whole number of float32 elements/);
});

test('checkStoredTensor names the problem', () => {
  const where = { file: 'f', tensor: 't' };
  expect(() => checkStoredTensor({ shape: [2, -1], dtype: 'float32', data: new Float32Array(0) }, where)).toThrow(/f, tensor "t": shape \[2,-1\] is not a list/);
  expect(() => checkStoredTensor({ shape: [2], dtype: 'bfloat16', data: new Float32Array(2) as never }, where)).toThrow(/bfloat16 data must be a Uint16Array/);
  expect(() => checkStoredTensor({ shape: [2], dtype: 'complex64' as never, data: new Float32Array(2) }, where)).toThrow(/unknown dtype "complex64"/);
  expect(() => checkStoredTensor({ shape: [], dtype: 'int64', data: BigInt64Array.of(1n) }, where)).not.toThrow();
});
