// Fused grouped-query attention, one (batch, query head, query position) row per step:
// scores q·k_s, optional soft cap c·tanh(score/c), bool mask, softmax and the weighted sum of the
// values in one streaming pass over the keys (online softmax, FlashAttention-style): keys are
// taken in blocks of ATTENTION_BLOCK; each block's scores sit in per-thread scratch, the running
// maximum m, the running sum l and the accumulator acc[H] are rescaled by e^(m_old - m_new) when a
// block raises the maximum, so nothing of size S is ever held. The composition of einsum, tanh,
// softmax and einsum (ops/attention.ts) is its naive twin.
//
// q, out: [B, T, N, H]; k, v: [B, S, KV, H] (query head n reads key/value head n / (N / KV));
// mask: 0 (none) or bool [B, T, S] (maskPerHead 0) or [B, N, T, S] (maskPerHead 1).
// scratch: per-thread, `scratchStride` bytes each, at least (roundUp4(H) + ATTENTION_BLOCK) floats.
// A row whose keys are all masked is all zeros (softmax's convention for a fully masked row).
import { hmax, hsum, vexp, vtanh } from './simd-math';

export const ATTENTION_BLOCK: i32 = 64;

export function attention(
  q: usize, k: usize, v: usize, mask: usize, out: usize, scratch: usize, scratchStride: i32,
  T: i32, S: i32, N: i32, KV: i32, H: i32, maskPerHead: i32, softCap: f32,
  start: i32, end: i32, thread: i32,
): void {
  const group = N / KV;
  const hPad = (H + 3) & ~3;
  const acc = scratch + <usize>thread * <usize>scratchStride;
  const scores = acc + (<usize>hPad << 2);
  const rowBytes = <usize>H << 2;
  const keyStride = <usize>KV * <usize>H * 4; // bytes from one key position to the next
  const negInf = f32x4.splat(-Infinity);
  const inverseCap = softCap > 0 ? <f32>1 / softCap : <f32>0;
  for (let r = start; r < end; r++) {
    const t = r % T;
    const bn = r / T;
    const n = bn % N;
    const b = bn / N;
    const kvHead = n / group;
    const qRow = q + ((<usize>(b * T + t) * <usize>N + <usize>n) * rowBytes);
    const oRow = out + ((<usize>(b * T + t) * <usize>N + <usize>n) * rowBytes);
    const kBase = k + (<usize>b * <usize>S * <usize>KV + <usize>kvHead) * rowBytes;
    const vBase = v + (<usize>b * <usize>S * <usize>KV + <usize>kvHead) * rowBytes;
    const mRow: usize = mask == 0 ? 0 : maskPerHead != 0 ? mask + (<usize>(b * N + n) * <usize>T + <usize>t) * <usize>S : mask + (<usize>(b * T + t)) * <usize>S;
    memory.fill(acc, 0, <usize>hPad << 2);
    let m: f32 = -Infinity;
    let l: f32 = 0;
    for (let s0 = 0; s0 < S; s0 += ATTENTION_BLOCK) {
      const count = min<i32>(ATTENTION_BLOCK, S - s0);
      const padded = (count + 3) & ~3;
      // Scores of the block (masked keys are skipped, then set to -inf).
      let any = mRow == 0;
      let j4 = 0;
      // Four keys at a time: four dot-product accumulators, reduced together by a 4x4 transpose.
      for (; j4 + 4 <= count; j4 += 4) {
        const s = s0 + j4;
        if (mRow != 0 && load<u32>(mRow + <usize>s) == 0) continue; // all four masked
        any = true;
        const k0 = kBase + <usize>s * keyStride;
        const k1 = k0 + keyStride;
        const k2 = k1 + keyStride;
        const k3 = k2 + keyStride;
        let d0 = f32x4.splat(0);
        let d1 = f32x4.splat(0);
        let d2 = f32x4.splat(0);
        let d3 = f32x4.splat(0);
        let h = 0;
        for (; h + 4 <= H; h += 4) {
          const offset = <usize>h << 2;
          const qv = v128.load(qRow + offset);
          d0 = f32x4.add(d0, f32x4.mul(qv, v128.load(k0 + offset)));
          d1 = f32x4.add(d1, f32x4.mul(qv, v128.load(k1 + offset)));
          d2 = f32x4.add(d2, f32x4.mul(qv, v128.load(k2 + offset)));
          d3 = f32x4.add(d3, f32x4.mul(qv, v128.load(k3 + offset)));
        }
        const s01 = f32x4.add(v128.shuffle<f32>(d0, d1, 0, 4, 1, 5), v128.shuffle<f32>(d0, d1, 2, 6, 3, 7));
        const s23 = f32x4.add(v128.shuffle<f32>(d2, d3, 0, 4, 1, 5), v128.shuffle<f32>(d2, d3, 2, 6, 3, 7));
        let dots = f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
        for (; h < H; h++) {
          const qh = load<f32>(qRow + (<usize>h << 2));
          const offset = <usize>h << 2;
          dots = f32x4.add(dots, f32x4.mul(f32x4.splat(qh), f32x4(load<f32>(k0 + offset), load<f32>(k1 + offset), load<f32>(k2 + offset), load<f32>(k3 + offset))));
        }
        v128.store(scores + (<usize>j4 << 2), dots);
      }
      for (let j = j4; j < count; j++) {
        const s = s0 + j;
        if (mRow != 0 && load<u8>(mRow + <usize>s) == 0) continue;
        any = true;
        const kRow = kBase + <usize>s * keyStride;
        let dot = f32x4.splat(0);
        let h = 0;
        for (; h + 4 <= H; h += 4) dot = f32x4.add(dot, f32x4.mul(v128.load(qRow + (<usize>h << 2)), v128.load(kRow + (<usize>h << 2))));
        let total = hsum(dot);
        for (; h < H; h++) total += load<f32>(qRow + (<usize>h << 2)) * load<f32>(kRow + (<usize>h << 2));
        store<f32>(scores + (<usize>j << 2), total);
      }
      if (!any) continue;
      for (let j = count; j < padded; j++) store<f32>(scores + (<usize>j << 2), 0);
      if (softCap > 0) {
        const inverse = f32x4.splat(inverseCap);
        const cap = f32x4.splat(softCap);
        for (let j = 0; j < padded; j += 4) {
          const p = scores + (<usize>j << 2);
          v128.store(p, f32x4.mul(vtanh(f32x4.mul(v128.load(p), inverse)), cap));
        }
      }
      for (let j = count; j < padded; j++) store<f32>(scores + (<usize>j << 2), -Infinity);
      if (mRow != 0) for (let j = 0; j < count; j++) if (load<u8>(mRow + <usize>(s0 + j)) == 0) store<f32>(scores + (<usize>j << 2), -Infinity);
      // Block maximum; a larger running maximum rescales what was summed so far.
      let best = negInf;
      for (let j = 0; j < padded; j += 4) best = f32x4.max(best, v128.load(scores + (<usize>j << 2)));
      const blockMax = hmax(best);
      if (blockMax > m) {
        if (m != -Infinity) {
          const factor = f32x4.extract_lane(vexp(f32x4.splat(m - blockMax)), 0);
          l *= factor;
          const f = f32x4.splat(factor);
          for (let h = 0; h < hPad; h += 4) v128.store(acc + (<usize>h << 2), f32x4.mul(v128.load(acc + (<usize>h << 2)), f));
        }
        m = blockMax;
      }
      // p_j = e^(score_j - m) (masked: exactly 0), l += p_j, acc += p_j · v_j.
      const shift = f32x4.splat(m);
      let sum = f32x4.splat(0);
      for (let j = 0; j < padded; j += 4) {
        const p = scores + (<usize>j << 2);
        const raw = v128.load(p);
        const e = v128.and(vexp(f32x4.sub(raw, shift)), f32x4.ne(raw, negInf));
        sum = f32x4.add(sum, e);
        v128.store(p, e);
      }
      l += hsum(sum);
      let jv = 0;
      // Four values at a time: one load and store of the accumulator per four keys.
      for (; jv + 4 <= count; jv += 4) {
        const w = v128.load(scores + (<usize>jv << 2));
        if (!v128.any_true(w)) continue;
        const w0 = f32x4.splat(f32x4.extract_lane(w, 0));
        const w1 = f32x4.splat(f32x4.extract_lane(w, 1));
        const w2 = f32x4.splat(f32x4.extract_lane(w, 2));
        const w3 = f32x4.splat(f32x4.extract_lane(w, 3));
        const v0 = vBase + <usize>(s0 + jv) * keyStride;
        const v1 = v0 + keyStride;
        const v2 = v1 + keyStride;
        const v3 = v2 + keyStride;
        let h = 0;
        for (; h + 4 <= H; h += 4) {
          const offset = <usize>h << 2;
          const pa = acc + offset;
          const sum01 = f32x4.add(f32x4.mul(w0, v128.load(v0 + offset)), f32x4.mul(w1, v128.load(v1 + offset)));
          const sum23 = f32x4.add(f32x4.mul(w2, v128.load(v2 + offset)), f32x4.mul(w3, v128.load(v3 + offset)));
          v128.store(pa, f32x4.add(v128.load(pa), f32x4.add(sum01, sum23)));
        }
        for (; h < H; h++) {
          const offset = <usize>h << 2;
          const pa = acc + offset;
          const add = f32x4.extract_lane(w0, 0) * load<f32>(v0 + offset) + f32x4.extract_lane(w1, 0) * load<f32>(v1 + offset)
            + f32x4.extract_lane(w2, 0) * load<f32>(v2 + offset) + f32x4.extract_lane(w3, 0) * load<f32>(v3 + offset);
          store<f32>(pa, load<f32>(pa) + add);
        }
      }
      for (let j = jv; j < count; j++) {
        const weight = load<f32>(scores + (<usize>j << 2));
        if (weight == 0) continue;
        const vRow = vBase + <usize>(s0 + j) * keyStride;
        const w = f32x4.splat(weight);
        let h = 0;
        for (; h + 4 <= H; h += 4) {
          const pa = acc + (<usize>h << 2);
          v128.store(pa, f32x4.add(v128.load(pa), f32x4.mul(w, v128.load(vRow + (<usize>h << 2)))));
        }
        for (; h < H; h++) {
          const pa = acc + (<usize>h << 2);
          store<f32>(pa, load<f32>(pa) + weight * load<f32>(vRow + (<usize>h << 2)));
        }
      }
    }
    if (l == 0) {
      memory.fill(oRow, 0, rowBytes);
      continue;
    }
    for (let h = 0; h < H; h++) store<f32>(oRow + (<usize>h << 2), load<f32>(acc + (<usize>h << 2)) / l);
  }
}
