// Elementwise binary kernels with NumPy broadcasting. Two entry points per dtype: `Flat` for
// contiguous operands (one may be a scalar), split by element range; and `Strided` over a loop
// descriptor (see strided.ts), split by rows. float32 rows run f32x4 loops whenever the inner
// strides allow; int32 and bool are scalar loops (they wrap as Int32Array / Uint8Array stores do).
import { innerDim, innerStride, rowOffset } from './strided';

// Op codes, mirrored in src/backends/wasm/kernels/binary.ts.
// @ts-ignore: decorator
@inline const ADD = 0;
// @ts-ignore: decorator
@inline const SUB = 1;
// @ts-ignore: decorator
@inline const MUL = 2;
// @ts-ignore: decorator
@inline const DIV = 3;
// @ts-ignore: decorator
@inline const POW = 4;
// @ts-ignore: decorator
@inline const MAX = 5;
// @ts-ignore: decorator
@inline const MIN = 6;
// @ts-ignore: decorator
@inline const EQ = 7;
// @ts-ignore: decorator
@inline const LT = 8;
// @ts-ignore: decorator
@inline const GT = 9;
// @ts-ignore: decorator
@inline const AND = 10;
// @ts-ignore: decorator
@inline const OR = 11;

// Arithmetic on four lanes. POW has no vector form: it goes lane by lane through f64 Math.pow,
// which keeps every special case (negative base, integral exponent, 0^0) as the reference does.
// @ts-ignore: decorator
@inline function arith(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(x, y);
    case SUB: return f32x4.sub(x, y);
    case MUL: return f32x4.mul(x, y);
    case DIV: return f32x4.div(x, y);
    case MAX: return f32x4.max(x, y);
    case MIN: return f32x4.min(x, y);
    case EQ: return f32x4.eq(x, y);
    case LT: return f32x4.lt(x, y);
    case GT: return f32x4.gt(x, y);
    default: {
      let r = f32x4.splat(<f32>Math.pow(<f64>f32x4.extract_lane(x, 0), <f64>f32x4.extract_lane(y, 0)));
      r = f32x4.replace_lane(r, 1, <f32>Math.pow(<f64>f32x4.extract_lane(x, 1), <f64>f32x4.extract_lane(y, 1)));
      r = f32x4.replace_lane(r, 2, <f32>Math.pow(<f64>f32x4.extract_lane(x, 2), <f64>f32x4.extract_lane(y, 2)));
      return f32x4.replace_lane(r, 3, <f32>Math.pow(<f64>f32x4.extract_lane(x, 3), <f64>f32x4.extract_lane(y, 3)));
    }
  }
}

// Stores four results: float32 lanes, or (comparisons) four bool bytes from the lane masks.
// @ts-ignore: decorator
@inline function store4(op: i32, out: usize, index: i32, r: v128): void {
  if (op >= EQ) {
    const ones = v128.and(r, i32x4.splat(1));
    const halves = i16x8.narrow_i32x4_u(ones, ones);
    store<i32>(out + <usize>index, i32x4.extract_lane(i8x16.narrow_i16x8_u(halves, halves), 0));
  } else v128.store(out + (<usize>index << 2), r);
}

// @ts-ignore: decorator
@inline function store1(op: i32, out: usize, index: i32, r: v128): void {
  if (op >= EQ) store<u8>(out + <usize>index, <u8>(i32x4.extract_lane(r, 0) & 1));
  else store<f32>(out + (<usize>index << 2), f32x4.extract_lane(r, 0));
}

// One row of n outputs from a (stride sa ∈ {0, 1}) and b (stride sb ∈ {0, 1}), written at `at`.
// @ts-ignore: decorator
@inline function rowF32(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, at: i32, n: i32): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) store4(op, out, at + i, arith(op, v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
    for (; i < n; i++) store1(op, out, at + i, arith(op, f32x4.splat(load<f32>(a + (<usize>i << 2))), f32x4.splat(load<f32>(b + (<usize>i << 2)))));
  } else if (sa == 1) {
    const y = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) store4(op, out, at + i, arith(op, v128.load(a + (<usize>i << 2)), y));
    for (; i < n; i++) store1(op, out, at + i, arith(op, f32x4.splat(load<f32>(a + (<usize>i << 2))), y));
  } else if (sb == 1) {
    const x = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) store4(op, out, at + i, arith(op, x, v128.load(b + (<usize>i << 2))));
    for (; i < n; i++) store1(op, out, at + i, arith(op, x, f32x4.splat(load<f32>(b + (<usize>i << 2)))));
  } else {
    const r = arith(op, v128.load32_splat(a), v128.load32_splat(b));
    for (; i + 4 <= n; i += 4) store4(op, out, at + i, r);
    for (; i < n; i++) store1(op, out, at + i, r);
  }
}

// @ts-ignore: decorator
@inline function flatF32(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, start: i32, end: i32): void {
  rowF32(op, a + (<usize>(start * sa) << 2), sa, b + (<usize>(start * sb) << 2), sb, out, start, end - start);
}

/** float32, contiguous: sa/sb are 1 for a full operand and 0 for a scalar; elements [start, end). */
export function binaryF32Flat(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, start: i32, end: i32, thread: i32): void {
  switch (op) {
    case ADD: flatF32(ADD, a, sa, b, sb, out, start, end); break;
    case SUB: flatF32(SUB, a, sa, b, sb, out, start, end); break;
    case MUL: flatF32(MUL, a, sa, b, sb, out, start, end); break;
    case DIV: flatF32(DIV, a, sa, b, sb, out, start, end); break;
    case MAX: flatF32(MAX, a, sa, b, sb, out, start, end); break;
    case MIN: flatF32(MIN, a, sa, b, sb, out, start, end); break;
    case EQ: flatF32(EQ, a, sa, b, sb, out, start, end); break;
    case LT: flatF32(LT, a, sa, b, sb, out, start, end); break;
    case GT: flatF32(GT, a, sa, b, sb, out, start, end); break;
    default: flatF32(POW, a, sa, b, sb, out, start, end); break;
  }
}

// @ts-ignore: decorator
@inline function stridedF32(op: i32, a: usize, b: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32): void {
  const n = innerDim(desc, rank);
  const sa = innerStride(desc, rank, 1);
  const sb = innerStride(desc, rank, 2);
  for (let row = start; row < end; row++) {
    const pa = a + (<usize>rowOffset(desc, rank, 1, row) << 2);
    const pb = b + (<usize>rowOffset(desc, rank, 2, row) << 2);
    rowF32(op, pa, sa, pb, sb, out, row * n, n);
  }
}

/** float32 with broadcasting over a loop descriptor (operands 1 = a, 2 = b); rows [start, end). */
export function binaryF32Strided(op: i32, a: usize, b: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32, thread: i32): void {
  switch (op) {
    case ADD: stridedF32(ADD, a, b, out, desc, rank, start, end); break;
    case SUB: stridedF32(SUB, a, b, out, desc, rank, start, end); break;
    case MUL: stridedF32(MUL, a, b, out, desc, rank, start, end); break;
    case DIV: stridedF32(DIV, a, b, out, desc, rank, start, end); break;
    case MAX: stridedF32(MAX, a, b, out, desc, rank, start, end); break;
    case MIN: stridedF32(MIN, a, b, out, desc, rank, start, end); break;
    case EQ: stridedF32(EQ, a, b, out, desc, rank, start, end); break;
    case LT: stridedF32(LT, a, b, out, desc, rank, start, end); break;
    case GT: stridedF32(GT, a, b, out, desc, rank, start, end); break;
    default: stridedF32(POW, a, b, out, desc, rank, start, end); break;
  }
}

// Scalar int32 / bool arithmetic; the result is stored with T's wrap-around.
// @ts-ignore: decorator
@inline function intOp<T>(op: i32, x: T, y: T): T {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case MAX: return x > y ? x : y;
    case MIN: return x < y ? x : y;
    case EQ: return <T>(x == y ? 1 : 0);
    case LT: return <T>(x < y ? 1 : 0);
    case GT: return <T>(x > y ? 1 : 0);
    case AND: return <T>(x != 0 && y != 0 ? 1 : 0);
    default: return <T>(x != 0 || y != 0 ? 1 : 0); // OR
  }
}

// @ts-ignore: decorator
@inline function stridedInt<T>(op: i32, a: usize, b: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32): void {
  const n = innerDim(desc, rank);
  const sa = <usize>innerStride(desc, rank, 1) * sizeof<T>();
  const sb = <usize>innerStride(desc, rank, 2) * sizeof<T>();
  const toBool = op >= EQ;
  for (let row = start; row < end; row++) {
    let pa = a + <usize>rowOffset(desc, rank, 1, row) * sizeof<T>();
    let pb = b + <usize>rowOffset(desc, rank, 2, row) * sizeof<T>();
    const at = <usize>row * <usize>n;
    for (let i = 0; i < n; i++) {
      const r = intOp<T>(op, load<T>(pa), load<T>(pb));
      if (toBool) store<u8>(out + at + <usize>i, <u8>r);
      else store<T>(out + (at + <usize>i) * sizeof<T>(), r);
      pa += sa;
      pb += sb;
    }
  }
}

/** int32 with broadcasting (contiguous operands use a rank-1 descriptor); rows [start, end). */
export function binaryI32Strided(op: i32, a: usize, b: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32, thread: i32): void {
  stridedInt<i32>(op, a, b, out, desc, rank, start, end);
}

/** bool (uint8) with broadcasting; rows [start, end). */
export function binaryU8Strided(op: i32, a: usize, b: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32, thread: i32): void {
  stridedInt<u8>(op, a, b, out, desc, rank, start, end);
}

/** where: condition (bool), a, b (elementSize 1 or 4 bytes) over a 3-operand descriptor; rows [start, end). */
export function whereStrided(elementSize: i32, condition: usize, a: usize, b: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32, thread: i32): void {
  const n = innerDim(desc, rank);
  const sc = innerStride(desc, rank, 1);
  const sa = innerStride(desc, rank, 2);
  const sb = innerStride(desc, rank, 3);
  for (let row = start; row < end; row++) {
    const pc = condition + <usize>rowOffset(desc, rank, 1, row);
    const oa = rowOffset(desc, rank, 2, row);
    const ob = rowOffset(desc, rank, 3, row);
    const at = <usize>row * <usize>n;
    let i = 0;
    if (elementSize == 4) {
      const pa = a + (<usize>oa << 2);
      const pb = b + (<usize>ob << 2);
      const po = out + (at << 2);
      if (sc == 1 && sa == 1 && sb == 1) {
        // Four condition bytes widened to lane masks select between a and b.
        for (; i + 4 <= n; i += 4) {
          const c = v128.load32_zero(pc + <usize>i);
          const mask = i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(c)), i32x4.splat(0));
          const offset = <usize>i << 2;
          v128.store(po + offset, v128.bitselect(v128.load(pa + offset), v128.load(pb + offset), mask));
        }
      }
      for (; i < n; i++)
        store<u32>(po + (<usize>i << 2), load<u8>(pc + <usize>(i * sc)) != 0 ? load<u32>(pa + (<usize>(i * sa) << 2)) : load<u32>(pb + (<usize>(i * sb) << 2)));
    } else {
      for (; i < n; i++)
        store<u8>(out + at + <usize>i, load<u8>(pc + <usize>(i * sc)) != 0 ? load<u8>(a + <usize>(oa + i * sa)) : load<u8>(b + <usize>(ob + i * sb)));
    }
  }
}
