// dotProductAttention: grouped-query scaled-dot-product attention with Gemma's optional logit
// soft cap. Backends may register the optional fused kernel `Attention` (one streaming pass per
// query row, online softmax); the composition below (einsum, tanh, masked softmax, einsum) is its
// naive twin and what every other backend runs.
import { argumentError } from '../errors.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { softmax } from './activations.js';
import { activeBackendHas, assertTensor, run, scoped } from './dispatch.js';
import { engine } from '../engine.js';
import { einsum } from './einsum.js';
import { cast, mul, tanh } from './elementwise.js';
import { reshape } from './shape-ops.js';

export interface DotProductAttentionOptions {
  /** bool [B, T, S] (shared by all heads) or [B, N, T, S]; false = the key is not attended. */
  mask?: Tensor | null;
  /** Gemma's soft cap c: logits → c · tanh(logits / c). null / undefined: none. */
  logitSoftCap?: number | null;
}

/**
 * query: [B, T, N, H] (already scaled), key and value: [B, S, K, H] with N a multiple of K (query
 * head n uses key/value head floor(n / (N / K))) → [B, T, N, H] float32:
 *   out[b,t,n] = Σ_s softmax_s(cap(q[b,t,n] · k[b,s,kv])) · v[b,s,kv]
 * over the unmasked s; a row with every key masked is zeros.
 */
export function dotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: DotProductAttentionOptions = {}): Tensor {
  const op = 'dotProductAttention';
  assertTensor(op, 'query', query);
  assertTensor(op, 'key', key);
  assertTensor(op, 'value', value);
  if (query.rank !== 4) argumentError(op, 'query', 'a [B, T, N, H] tensor', query);
  const [batch, length, heads, headDim] = query.shape as [number, number, number, number];
  if (key.rank !== 4 || key.shape[0] !== batch || key.shape[3] !== headDim || key.shape[2] === 0 || heads % key.shape[2]! !== 0)
    argumentError(op, 'key', `a [${batch}, S, K, ${headDim}] tensor with ${heads} a multiple of K`, formatShape(key.shape));
  const [, keyLength, keyHeads] = key.shape as [number, number, number, number];
  if (value.rank !== 4 || value.shape.some((dimension, axis) => dimension !== key.shape[axis]))
    argumentError(op, 'value', `the key's shape ${formatShape(key.shape)}`, formatShape(value.shape));
  const mask = options.mask ?? null;
  if (mask) {
    assertTensor(op, 'mask', mask);
    const shared = [batch, length, keyLength];
    const perHead = [batch, heads, length, keyLength];
    const fits = (shape: number[]) => mask.rank === shape.length && shape.every((dimension, axis) => mask.shape[axis] === dimension);
    if (mask.dtype !== 'bool' || !(fits(shared) || fits(perHead)))
      argumentError(op, 'mask', `a bool tensor of shape ${formatShape(shared)} or ${formatShape(perHead)}`, mask);
  }
  const softCap = options.logitSoftCap ?? null;
  if (softCap !== null && !(softCap > 0)) argumentError(op, 'logitSoftCap', 'a positive number or null', String(softCap));
  return scoped(() => {
    const f32 = (x: Tensor) => (x.dtype === 'float32' ? x : cast(x, 'float32'));
    const [q, k, v] = [f32(query), f32(key), f32(value)];
    // The fused kernel has no gradient: while a tape records, the differentiable composition runs.
    if (activeBackendHas('Attention') && !engine.isRecording)
      return run('Attention', mask ? { query: q, key: k, value: v, mask } : { query: q, key: k, value: v }, { logitSoftCap: softCap ?? 0 }, query.shape);
    const group = heads / keyHeads;
    const grouped = reshape(q, [batch, length, keyHeads, group, headDim]);
    let logits = einsum('btkgh,bskh->bkgts', grouped, k);
    if (softCap !== null) logits = mul(tanh(mul(logits, 1 / softCap)), softCap);
    const maskView = !mask ? undefined : mask.rank === 4 ? reshape(mask, [batch, keyHeads, group, length, keyLength]) : reshape(mask, [batch, 1, 1, length, keyLength]);
    const probabilities = softmax(logits, -1, maskView);
    return reshape(einsum('bkgts,bskh->btkgh', probabilities, v), [batch, length, heads, headDim]);
  });
}
