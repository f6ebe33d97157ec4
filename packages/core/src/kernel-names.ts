// The primitive kernels. Every public op is written in src/ops out of these; the ones marked
// "fused" are optional: an op uses them when the active backend has them and composes
// primitives otherwise (so a new backend needs only the primitives).

export const unaryKernelNames = ['Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Tanh', 'Erf', 'LogicalNot'] as const;
export const binaryKernelNames = [
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Maximum', 'Minimum', 'Equal', 'Less', 'Greater', 'LogicalAnd', 'LogicalOr',
] as const;

export type UnaryKernelName = (typeof unaryKernelNames)[number];
export type BinaryKernelName = (typeof binaryKernelNames)[number];

/** Kernel name → input names and attributes. Shapes are validated by the op before dispatch. */
export interface KernelSpecs {
  // x → same shape; Cast converts to attrs.dtype. Reads every dtype as stored. float → int32/int8
  // truncates toward zero and saturates (NaN → 0); int32 → int8 saturates to [-128, 127].
  Cast: { inputs: { x: unknown }; attrs: { dtype: 'float32' | 'int32' | 'bool' | 'bfloat16' | 'float16' | 'int8' } };
  // a, b broadcastable → broadcast shape. Comparison/logical kernels produce bool.
  Binary: { inputs: { a: unknown; b: unknown }; attrs: Record<string, never> };
  // condition (bool), a, b broadcastable → broadcast shape.
  Where: { inputs: { condition: unknown; a: unknown; b: unknown }; attrs: Record<string, never> };
  // x: [outer, inner] → [outer]. Reduction over the last axis only; ops move axes there.
  Sum: { inputs: { x: unknown }; attrs: Record<string, never> };
  Max: { inputs: { x: unknown }; attrs: Record<string, never> };
  Min: { inputs: { x: unknown }; attrs: Record<string, never> };
  ArgMax: { inputs: { x: unknown }; attrs: Record<string, never> };
  // a: [...batchA, M, K] (or [..., K, M] with transposeA), b: [...batchB, K, N] → [...batch, M, N].
  BatchMatMul: { inputs: { a: unknown; b: unknown }; attrs: { transposeA: boolean; transposeB: boolean } };
  Transpose: { inputs: { x: unknown }; attrs: { perm: number[] } };
  // inputs share every dim but `axis`.
  Concat: { inputs: Record<string, unknown>; attrs: { axis: number } };
  Slice: { inputs: { x: unknown }; attrs: { begin: number[]; size: number[] } };
  // x: [outer, n, inner], indices (int32, any shape) → [outer, ...indices.shape, inner]; ids checked.
  // x is read as stored (storageInputs: ['x']): a bfloat16/float16/int8 table gives rows of its own
  // dtype, and the table is never decoded as a whole.
  Gather: { inputs: { x: unknown; indices: unknown }; attrs: { axis: number } };
  Cumsum: { inputs: { x: unknown }; attrs: { axis: number; exclusive: boolean; reverse: boolean } };
  // over the last axis → values, indices (int32).
  TopK: { inputs: { x: unknown }; attrs: { k: number; sorted: boolean } };
  // x (float32) → same shape, rounded half to even (numpy.round, Keras ops.round): 0.5 → 0,
  // 1.5 → 2, 2.5 → 2, -0.5 → -0. A unary kernel, listed on its own (issue 13 added it).
  Round: { inputs: { x: unknown }; attrs: Record<string, never> };
  // Fused (optional): softmax over the last axis with an optional bool mask of the same shape.
  Softmax: { inputs: { x: unknown; mask?: unknown }; attrs: Record<string, never> };
  // Fused (optional): x: [..., D], scale: [D] → x * rsqrt(mean(x²) + epsilon) * (1 + scale).
  RMSNorm: { inputs: { x: unknown; scale: unknown }; attrs: { epsilon: number } };
  // Fused (optional): gelu, exact (erf) or tanh-approximate.
  Gelu: { inputs: { x: unknown }; attrs: { approximate: boolean } };
  // Fused (optional): x: [B, T, heads, H], cos/sin: [T, H] → rotate-half rotary embedding.
  Rope: { inputs: { x: unknown; cos: unknown; sin: unknown }; attrs: Record<string, never> };
  // Fused (optional): query [B, T, N, H], key/value [B, S, K, H], mask (optional) bool [B, T, S] or
  // [B, N, T, S] → [B, T, N, H]: soft-capped (logitSoftCap 0 = none), masked softmax attention.
  Attention: { inputs: { query: unknown; key: unknown; value: unknown; mask?: unknown }; attrs: { logitSoftCap: number } };

  // === Quantization (issue 13; Keras 3 int8/int4, see docs/architecture.md) ===
  // Every quantized kernel reads its int8 inputs as stored (storageInputs): weights are never
  // decoded to a float or int32 copy. Scales arrive as float32 (the engine decodes storage floats).
  //
  // a: int8 [M, K]; aScale: float32 [M]; b: int8, [G, K, N] memory order (transposeB false) or
  // [N, K] (transposeB true, G = 1); bScale: float32 [G·N] → float32 [M, G·N] (outputShapes[0]):
  //   out[m, g·N + n] = f32(Σ_k a[m,k]·b[g,k,n]) / f32(aScale[m] · bScale[g·N + n])
  // with exact int32 accumulation, then the float32 conversion of the sum, the float32 product of
  // the two scales and one float32 division (Keras: `x / (inputs_scale * kernel_scale)`).
  // The kernel reads M, K from a's shape and N = outputs / G from outputShapes.
  MatMulInt8: {
    inputs: { a: unknown; aScale: unknown; b: unknown; bScale: unknown };
    attrs: { transposeB: boolean; groups: number };
  };
  // a: float32 [M, K]; packed: int8 (two int4 per byte: even index → low nibble, odd → high nibble,
  // nibble v → (v ^ 8) − 8); scale: float32; zero: int8 (absent when blockSize is −1) →
  // float32 [M, outputs]. w is dequantized in float32: w = f32(f32(q − zero) · scale), or
  // w = f32(q / scale) per channel (blockSize −1); out[m, o] = Σ_k a[m,k]·w (any summation order).
  //  layout 'kernel' (EinsumDense/Dense): W [G, K, N], outputs = G·N, packed [K, ceil(G·N/2)]
  //    (Keras's plain reshape of W to [K, G·N], packed along its columns). Element (g, k, n):
  //    r = g·K + k, rawRow = floor(r / G), rawCol = (r mod G)·N + n, byte packed[rawRow, rawCol >> 1];
  //    scale/zero [ceil(K / blockSize), G·N] indexed [floor(rawRow / blockSize), rawCol]
  //    (per channel: scale [G·N] indexed [rawCol]).
  //  layout 'transposed' (tied ReversibleEmbedding reverse path): W [N, K] packed along K: packed
  //    [N, ceil(K/2)], outputs = N, scale/zero [N, ceil(K / blockSize)] indexed [n, floor(k / blockSize)]
  //    (per channel: scale [N]).
  MatMulInt4: {
    inputs: { a: unknown; packed: unknown; scale: unknown; zero?: unknown };
    attrs: { layout: 'kernel' | 'transposed'; groups: number; blockSize: number };
  };
  // packed: int8 [outer, ceil(length / 2)] → int8 [outer, length]: out[o, i] is the low nibble of
  // packed[o, i >> 1] for even i, the high nibble for odd i, sign-extended ((v ^ 8) − 8).
  UnpackInt4: { inputs: { packed: unknown }; attrs: { length: number } };
  // Fused (optional): x: float32 [outer, inner] → [quantized int8 [outer, inner], scale float32
  // [outer, 1]]: scale = f32(valueRange[1] / f32(max|x| + f32(epsilon))), q = clip(round half to
  // even(f32(x · scale)), valueRange[0], valueRange[1]) (Keras abs_max_quantize over the last axis).
  AbsMaxQuantize: { inputs: { x: unknown }; attrs: { epsilon: number; valueRange: [number, number] } };
}

export type KernelName = UnaryKernelName | BinaryKernelName | Exclude<keyof KernelSpecs, 'Binary'>;

export const primitiveKernelNames: readonly KernelName[] = [
  ...unaryKernelNames,
  ...binaryKernelNames,
  'Cast', 'Where', 'Sum', 'Max', 'Min', 'ArgMax', 'BatchMatMul', 'Transpose', 'Concat', 'Slice', 'Gather',
  'Cumsum', 'TopK', 'Round',
  // Quantized products and int4 unpacking: required, because their composition would decode the
  // quantized weights into a full-size copy (which the memory rule forbids).
  'MatMulInt8', 'MatMulInt4', 'UnpackInt4',
];

export const fusedKernelNames: readonly KernelName[] = ['Softmax', 'RMSNorm', 'Gelu', 'Rope', 'AbsMaxQuantize', 'Attention'];
