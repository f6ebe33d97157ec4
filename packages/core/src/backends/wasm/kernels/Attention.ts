// Fused attention (assembly/attention.ts): query [B, T, N, H], key/value [B, S, K, H], optional
// bool mask [B, T, S] or [B, N, T, S] → [B, T, N, H]. One task row per (batch, query head, query
// position); the keys stream through per-thread scratch in blocks (online softmax).
import { argumentError } from '../../../errors.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

/** Keys per streamed block (ATTENTION_BLOCK in assembly/attention.ts). */
const BLOCK = 64;

export const attentionConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Attention',
  backendName: 'wasm',
  kernelFunc(args) {
    const { query, key, value, mask } = args.inputs;
    expectDType('Attention', 'query', query!, ['float32']);
    expectDType('Attention', 'key', key!, ['float32']);
    expectDType('Attention', 'value', value!, ['float32']);
    if (mask) expectDType('Attention', 'mask', mask, ['bool']);
    const [batch, length, heads, headDim] = query!.shape as [number, number, number, number];
    const [, keyLength, keyHeads] = key!.shape as [number, number, number, number];
    const out = allocateOutput(args, query!.shape, 'float32', 'Attention');
    if (sizeOf(query!.shape) === 0) return out.info;
    const [scratch, stride] = args.backend.gemmScratch();
    const needed = (((headDim + 3) & ~3) + BLOCK) * 4;
    if (needed > stride) argumentError('wasm Attention', 'query', `a head dimension whose accumulator fits the ${stride}-byte scratch`, String(headDim));
    const rows = batch * heads * length;
    const maskPtr = mask ? ptrOf(args, 'mask') : 0;
    const maskPerHead = mask && mask.shape.length === 4 ? 1 : 0;
    const softCap = Number(args.attrs.logitSoftCap ?? 0);
    // Work in the pool's units (a multiply-add counts 1/16, an exponential 8).
    const work = rows * keyLength * (headDim / 8 + 8);
    args.backend.parallel(
      'attention',
      [ptrOf(args, 'query'), ptrOf(args, 'key'), ptrOf(args, 'value'), maskPtr, out.ptr, scratch, stride, length, keyLength, heads, keyHeads, headDim, maskPerHead, softCap],
      rows,
      work,
    );
    return out.info;
  },
};
