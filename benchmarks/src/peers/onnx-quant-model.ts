// ONNX Runtime's own quantized matmuls, as hand-encoded ONNX graphs (see onnx-model.ts for the
// protobuf writer; field numbers from onnx.proto):
//   matMulIntegerModel  the graph onnxruntime.quantization.quantize_dynamic emits for a MatMul
//                       with int8 weights (opset 17): X (float) → DynamicQuantizeLinear → X_q
//                       (uint8), X_scale, X_zero; MatMulInteger(X_q, W_q int8 [K, N], X_zero,
//                       W_zero int8 [N] = 0) → int32; Cast → float; Mul by (X_scale · W_scale[N]).
//                       ORT's optimizer fuses the chain into com.microsoft DynamicQuantizeMatMul.
//   matMulNBitsModel    com.microsoft MatMulNBits (bits 4, block_size 128): Y = A · dequant(B),
//                       B uint8 [N, K/128, 64] (unsigned nibbles along K, even k low), scales float
//                       [N · K/128], zero_points uint8 [N, ceil(K/128 / 2)]; accuracy_level 0
//                       computes in float32 (the same numbers as tensorzoo's matMulInt4, float
//                       activations), 4 quantizes A to int8 per block (ORT's fast CPU path).
import { ProtoWriter } from './onnx-model.js';

export const ONNX_FLOAT = 1;
export const ONNX_UINT8 = 2;
export const ONNX_INT8 = 3;
export const ONNX_INT32 = 6;
const ATTRIBUTE_INT = 2;

type Writer = ProtoWriter;

function valueInfo(writer: Writer, name: string, elementType: number, shape: readonly number[]): void {
  writer.string(1, name).message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, elementType);
      tensor.message(2, (dims) => {
        for (const dim of shape) dims.message(1, (d) => d.int(1, dim));
      });
    }),
  );
}

function initializer(graph: Writer, name: string, elementType: number, shape: readonly number[], data: ArrayBufferView): void {
  graph.message(5, (tensor) => {
    for (const dim of shape) tensor.int(1, dim);
    tensor.int(2, elementType).string(8, name);
    tensor.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  ints?: Record<string, number>;
}

function node(graph: Writer, spec: NodeSpec, index: number): void {
  graph.message(1, (n) => {
    for (const input of spec.inputs) n.string(1, input);
    for (const output of spec.outputs) n.string(2, output);
    n.string(3, `${spec.op}_${index}`).string(4, spec.op);
    for (const [name, value] of Object.entries(spec.ints ?? {})) n.message(5, (attribute) => attribute.string(1, name).int(3, value).int(20, ATTRIBUTE_INT));
    if (spec.domain) n.string(7, spec.domain);
  });
}

function model(build: (graph: Writer) => void, microsoft: boolean): Uint8Array {
  const writer = new ProtoWriter();
  writer.int(1, 8); // ir_version
  writer.string(2, 'tensorzoo-benchmarks');
  writer.message(8, (opset) => opset.string(1, '').int(2, 17));
  if (microsoft) writer.message(8, (opset) => opset.string(1, 'com.microsoft').int(2, 1));
  writer.message(7, build);
  return writer.finish();
}

/**
 * Y[M, N] = A[M, K] · W with W given as int8 q[K, N] (row-major) and a per-column scale
 * (ONNX convention, W = q · scale): the dynamic-quantization graph of quantize_dynamic.
 */
export function matMulIntegerModel(M: number, K: number, N: number, quantized: Int8Array, scale: Float32Array): Uint8Array {
  if (quantized.length !== K * N || scale.length !== N) throw new Error(`matMulIntegerModel: expected ${K * N} weights and ${N} scales, got ${quantized.length} and ${scale.length}`);
  return model((graph) => {
    const nodes: NodeSpec[] = [
      { op: 'DynamicQuantizeLinear', inputs: ['A'], outputs: ['A_quantized', 'A_scale', 'A_zero_point'] },
      { op: 'MatMulInteger', inputs: ['A_quantized', 'W_quantized', 'A_zero_point', 'W_zero_point'], outputs: ['Y_int32'] },
      { op: 'Cast', inputs: ['Y_int32'], outputs: ['Y_float'], ints: { to: ONNX_FLOAT } },
      { op: 'Mul', inputs: ['A_scale', 'W_scale'], outputs: ['Y_scale'] },
      { op: 'Mul', inputs: ['Y_float', 'Y_scale'], outputs: ['Y'] },
    ];
    nodes.forEach((spec, index) => node(graph, spec, index));
    graph.string(2, 'matmul_integer');
    initializer(graph, 'W_quantized', ONNX_INT8, [K, N], quantized);
    initializer(graph, 'W_zero_point', ONNX_INT8, [N], new Int8Array(N));
    initializer(graph, 'W_scale', ONNX_FLOAT, [N], scale);
    graph.message(11, (input) => valueInfo(input, 'A', ONNX_FLOAT, [M, K]));
    graph.message(12, (output) => valueInfo(output, 'Y', ONNX_FLOAT, [M, N]));
  }, false);
}

export interface NBitsWeights {
  /** uint8 [N, K / blockSize, blockSize / 2]. */
  b: Uint8Array;
  /** float32 [N, K / blockSize]. */
  scales: Float32Array;
  /** uint8 [N, ceil(K / blockSize / 2)], or null for ORT's default zero point 8. */
  zeroPoints: Uint8Array | null;
}

/** Y[M, N] = A[M, K] · dequant(B) with com.microsoft MatMulNBits, 4 bits. */
export function matMulNBitsModel(M: number, K: number, N: number, weights: NBitsWeights, blockSize = 128, accuracyLevel = 0): Uint8Array {
  const blocks = K / blockSize;
  if (!Number.isInteger(blocks)) throw new Error(`matMulNBitsModel: K = ${K} must be a multiple of the block size ${blockSize}`);
  const blockBytes = blockSize / 2;
  if (weights.b.length !== N * blocks * blockBytes || weights.scales.length !== N * blocks)
    throw new Error(`matMulNBitsModel: expected B of ${N * blocks * blockBytes} bytes and ${N * blocks} scales, got ${weights.b.length} and ${weights.scales.length}`);
  return model((graph) => {
    const inputs = ['A', 'B', 'scales', ...(weights.zeroPoints ? ['zero_points'] : [])];
    node(graph, { op: 'MatMulNBits', domain: 'com.microsoft', inputs, outputs: ['Y'], ints: { K, N, bits: 4, block_size: blockSize, accuracy_level: accuracyLevel } }, 0);
    graph.string(2, 'matmul_nbits');
    initializer(graph, 'B', ONNX_UINT8, [N, blocks, blockBytes], weights.b);
    initializer(graph, 'scales', ONNX_FLOAT, [N * blocks], weights.scales);
    if (weights.zeroPoints) initializer(graph, 'zero_points', ONNX_UINT8, [N * Math.ceil(blocks / 2)], weights.zeroPoints);
    graph.message(11, (input) => valueInfo(input, 'A', ONNX_FLOAT, [M, K]));
    graph.message(12, (output) => valueInfo(output, 'Y', ONNX_FLOAT, [M, N]));
  }, true);
}
