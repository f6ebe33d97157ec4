// Elementwise unary kernels over an element range [start, end) (the thread pool splits ranges at
// multiples of 4). float32: f32x4 loops; the scalar tail reuses the vector function on one lane,
// so every element of a tensor gets the same arithmetic. int32 / bool: plain loops.
import { verf, vexp, vlog, vtanh } from './simd-math';

// Op codes, mirrored in src/backends/wasm/kernels/unary.ts.
// @ts-ignore: decorator
@inline const NEG = 0;
// @ts-ignore: decorator
@inline const ABS = 1;
// @ts-ignore: decorator
@inline const EXP = 2;
// @ts-ignore: decorator
@inline const LOG = 3;
// @ts-ignore: decorator
@inline const SQRT = 4;
// @ts-ignore: decorator
@inline const RSQRT = 5;
// @ts-ignore: decorator
@inline const TANH = 6;
// @ts-ignore: decorator
@inline const ERF = 7;
// @ts-ignore: decorator
@inline const GELU = 8;
// @ts-ignore: decorator
@inline const GELU_TANH = 9;
// @ts-ignore: decorator
@inline const ROUND = 10;

// @ts-ignore: decorator
@inline function applyUnary(op: i32, x: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(x);
    case ABS: return f32x4.abs(x);
    case EXP: return vexp(x);
    case LOG: return vlog(x);
    case SQRT: return f32x4.sqrt(x);
    case RSQRT: return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(x));
    case TANH: return vtanh(x);
    case ERF: return verf(x);
    case ROUND: return f32x4.nearest(x); // half to even
    case GELU: {
      // x·Φ(x) = 0.5·x·(1 + erf(x/√2))
      const e = verf(f32x4.mul(x, f32x4.splat(0.7071067811865476)));
      return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(e, f32x4.splat(1.0)));
    }
    default: {
      // GELU_TANH: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const cube = f32x4.mul(f32x4.mul(x, x), x);
      const inner = f32x4.mul(f32x4.add(x, f32x4.mul(cube, f32x4.splat(0.044715))), f32x4.splat(0.7978845608028654));
      return f32x4.mul(f32x4.mul(x, f32x4.splat(0.5)), f32x4.add(vtanh(inner), f32x4.splat(1.0)));
    }
  }
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = <usize>i << 2;
    v128.store(out + offset, applyUnary(op, v128.load(x + offset)));
  }
  for (; i < end; i++) {
    const offset = <usize>i << 2;
    store<f32>(out + offset, f32x4.extract_lane(applyUnary(op, f32x4.splat(load<f32>(x + offset))), 0));
  }
}

/** out[i] = op(x[i]) for float32, i in [start, end). Each case inlines its own loop. */
export function unaryF32(op: i32, x: usize, out: usize, start: i32, end: i32, thread: i32): void {
  switch (op) {
    case NEG: unaryLoop(NEG, x, out, start, end); break;
    case ABS: unaryLoop(ABS, x, out, start, end); break;
    case EXP: unaryLoop(EXP, x, out, start, end); break;
    case LOG: unaryLoop(LOG, x, out, start, end); break;
    case SQRT: unaryLoop(SQRT, x, out, start, end); break;
    case RSQRT: unaryLoop(RSQRT, x, out, start, end); break;
    case TANH: unaryLoop(TANH, x, out, start, end); break;
    case ERF: unaryLoop(ERF, x, out, start, end); break;
    case GELU: unaryLoop(GELU, x, out, start, end); break;
    case ROUND: unaryLoop(ROUND, x, out, start, end); break;
    default: unaryLoop(GELU_TANH, x, out, start, end); break;
  }
}

/** int32 Neg / Abs (wrapping, as Int32Array stores do): i32x4 loops. */
export function unaryI32(op: i32, x: usize, out: usize, start: i32, end: i32, thread: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = <usize>i << 2;
    const v = v128.load(x + offset);
    v128.store(out + offset, op == NEG ? i32x4.neg(v) : i32x4.abs(v));
  }
  for (; i < end; i++) {
    const offset = <usize>i << 2;
    const v = load<i32>(x + offset);
    store<i32>(out + offset, op == NEG ? -v : (v < 0 ? -v : v));
  }
}

/** bool LogicalNot: out = x == 0. */
export function logicalNotU8(x: usize, out: usize, start: i32, end: i32, thread: i32): void {
  for (let i = start; i < end; i++) store<u8>(out + <usize>i, load<u8>(x + <usize>i) == 0 ? 1 : 0);
}
