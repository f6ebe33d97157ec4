// A one-node ONNX model (opset 17 MatMul: Y = A · B, with B a constant initializer, as users of
// onnxruntime ship weights), encoded by hand as protobuf so no ONNX tooling is needed. Field
// numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
// ProtoWriter is shared with onnx-quant-model.ts (the quantized graphs).

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number): void {
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    bytes.push(rest);
    this.push(Uint8Array.from(bytes));
  }

  int(field: number, value: number): this {
    this.varint(field * 8);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

const FLOAT = 1;

function valueInfo(writer: ProtoWriter, name: string, shape: readonly number[]): void {
  writer.string(1, name).message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (dims) => {
        for (const dim of shape) dims.message(1, (d) => d.int(1, dim));
      });
    }),
  );
}

/** ONNX bytes for Y[M, N] = A[M, K] · B[K, N] with B = `weights` (row-major float32) baked in. */
export function matMulModel(M: number, K: number, N: number, weights: Float32Array): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.string(2, 'tensorzoo-benchmarks');
  model.message(8, (opset) => opset.string(1, '').int(2, 17));
  model.message(7, (graph) => {
    graph.message(1, (node) => node.string(1, 'A').string(1, 'B').string(2, 'Y').string(3, 'matmul').string(4, 'MatMul'));
    graph.string(2, 'matmul');
    graph.message(5, (tensor) => {
      tensor.int(1, K).int(1, N).int(2, FLOAT).string(8, 'B');
      tensor.bytes(9, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
    });
    graph.message(11, (input) => valueInfo(input, 'A', [M, K]));
    graph.message(12, (output) => valueInfo(output, 'Y', [M, N]));
  });
  return model.finish();
}
