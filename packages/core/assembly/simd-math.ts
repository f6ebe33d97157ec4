// Vector (f32x4) approximations of exp, log, tanh and erf, shared by the unary kernels and the
// fused Softmax / Gelu kernels. Accuracy targets float32: exp and log are Cephes-style
// (range reduction + minimax polynomial, ~1 ulp); erf is relatively accurate (series near 0,
// a fitted erfc beyond).

// @ts-ignore: decorator
@inline export const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in a short high part and a correction, so n·LN2_HI is exact for |n| < 2^9.
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;

/** e^x for four lanes; overflow gives +inf, underflow gives 0 (through subnormals), NaN stays NaN. */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  // Clamp so that n stays in [-150, 128]; beyond, the result is already 0 or +inf.
  x = f32x4.min(f32x4.max(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  // e^r on [-ln2/2, ln2/2]: 1 + r + r²·P(r), P of degree 5 (Cephes expf coefficients).
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  // 2^n as two normal factors 2^(n>>1) · 2^(n - n>>1), so n down to -150 (subnormal results) works.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const half = i32x4.shr_s(ni, 1);
  const rest = i32x4.sub(ni, half);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(half, bias), 23);
  const s2 = i32x4.shl(i32x4.add(rest, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** Natural log for four lanes: log(0) = -inf, log(x<0) = NaN, log(+inf) = +inf. */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // Subnormal inputs are scaled by 2^23 first.
  const tiny = f32x4.lt(x, f32x4.splat(1.17549435e-38));
  const scaled = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, tiny);
  const bits = scaled;
  // x = m · 2^e with m in [0.5, 1).
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126));
  e = i32x4.sub(e, v128.and(tiny, i32x4.splat(23)));
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  // Move m into [sqrt(1/2), sqrt(2)) - 1.
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, small); // the mask is -1 where small
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), f32x4.splat(1.0));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(3.3333331174e-1));
  let y = f32x4.mul(f32x4.mul(p, m), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let result = f32x4.add(f32x4.add(m, y), f32x4.mul(ef, f32x4.splat(LN2_HI)));
  // Special values: 0 → -inf, negative or NaN → NaN, +inf → +inf.
  result = v128.bitselect(f32x4.splat(-Infinity), result, f32x4.eq(x, f32x4.splat(0.0)));
  result = v128.bitselect(x, result, f32x4.eq(x, f32x4.splat(Infinity)));
  const invalid = v128.not(f32x4.ge(x, f32x4.splat(0.0))); // x < 0 or NaN
  return v128.bitselect(f32x4.splat(NaN), result, invalid);
}

/** tanh for four lanes: an odd polynomial for |x| < 0.625, 1 - 2/(e^{2|x|} + 1) above. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  // Cephes tanhf: x + x³·P(x²) on |x| < 0.625.
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e2 = vexp(f32x4.add(ax, ax));
  let large = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e2, f32x4.splat(1.0))));
  large = v128.or(large, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x
  // NaN compares false, so NaN lanes take `large`, which is NaN.
  return v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
}

/**
 * erf for four lanes, relatively accurate everywhere (the reference computes it in double):
 * |x| < 1: the Maclaurin series 2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n!(2n+1)) through n = 11 (truncation
 * < 1e-10), evaluated by Horner in x²; |x| ≥ 1: 1 − erfc(|x|) with Numerical Recipes' erfc fit
 * t·exp(−z² + P(t)), t = 1/(1 + z/2) (fractional error < 1.2e-7 of erfc ≤ 0.16, so < 2e-8 of erf).
 */
// @ts-ignore: decorator
@inline export function verf(x: v128): v128 {
  const z = f32x4.abs(x);
  // Series: x · S(x²), coefficients (2/√π)(−1)ⁿ/(n!(2n+1)), n ≥ 1 here.
  const s = f32x4.mul(x, x);
  let q = f32x4.splat(-1.22905552e-9);
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(1.48071928e-8));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(-1.63658441e-7));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(1.64621144e-6));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(-1.49256502e-5));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(1.20553326e-4));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(-8.54832702e-4));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(5.22397785e-3));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(-2.68661715e-2));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(1.12837918e-1));
  q = f32x4.add(f32x4.mul(q, s), f32x4.splat(-3.76126379e-1));
  // x · (2/√π + s·q) written as x + x·(2/√π − 1 + s·q): the dominant term is exact.
  const r = f32x4.add(f32x4.mul(q, s), f32x4.splat(0.12837916709551257));
  const series = f32x4.add(x, f32x4.mul(x, r));
  // Complement: erfc(z) ≈ t·exp(−z² + P(t)).
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(z, f32x4.splat(0.5))));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  const complement = f32x4.mul(t, vexp(f32x4.sub(p, f32x4.mul(z, z))));
  // erf is odd: the sign of x on 1 − erfc (NaN lanes stay NaN through `complement`).
  const tail = v128.xor(f32x4.sub(f32x4.splat(1.0), complement), v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(series, tail, f32x4.lt(z, f32x4.splat(1.0)));
}

/** Horizontal sum of four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const pair = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(pair, 0) + f32x4.extract_lane(pair, 1);
}

/** Horizontal max of four lanes (NaN propagates). */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const pair = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(pair, 0), f32x4.extract_lane(pair, 1));
}
