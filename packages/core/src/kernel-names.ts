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
  // x → same shape; Cast converts to attrs.dtype.
  Cast: { inputs: { x: unknown }; attrs: { dtype: 'float32' | 'int32' | 'bool' | 'bfloat16' | 'float16' } };
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
  Gather: { inputs: { x: unknown; indices: unknown }; attrs: { axis: number } };
  Cumsum: { inputs: { x: unknown }; attrs: { axis: number; exclusive: boolean; reverse: boolean } };
  // over the last axis → values, indices (int32).
  TopK: { inputs: { x: unknown }; attrs: { k: number; sorted: boolean } };
  // Fused (optional): softmax over the last axis with an optional bool mask of the same shape.
  Softmax: { inputs: { x: unknown; mask?: unknown }; attrs: Record<string, never> };
  // Fused (optional): x: [..., D], scale: [D] → x * rsqrt(mean(x²) + epsilon) * (1 + scale).
  RMSNorm: { inputs: { x: unknown; scale: unknown }; attrs: { epsilon: number } };
  // Fused (optional): gelu, exact (erf) or tanh-approximate.
  Gelu: { inputs: { x: unknown }; attrs: { approximate: boolean } };
  // Fused (optional): x: [B, T, heads, H], cos/sin: [T, H] → rotate-half rotary embedding.
  Rope: { inputs: { x: unknown; cos: unknown; sin: unknown }; attrs: Record<string, never> };
}

export type KernelName = UnaryKernelName | BinaryKernelName | Exclude<keyof KernelSpecs, 'Binary'>;

export const primitiveKernelNames: readonly KernelName[] = [
  ...unaryKernelNames,
  ...binaryKernelNames,
  'Cast', 'Where', 'Sum', 'Max', 'Min', 'ArgMax', 'BatchMatMul', 'Transpose', 'Concat', 'Slice', 'Gather',
  'Cumsum', 'TopK',
];

export const fusedKernelNames: readonly KernelName[] = ['Softmax', 'RMSNorm', 'Gelu', 'Rope'];
