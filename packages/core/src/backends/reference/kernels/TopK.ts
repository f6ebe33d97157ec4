// x: [..., n] → values [..., k], indices [..., k] (int32): the k largest along the last axis,
// largest first; ties keep the lower index first (a stable sort, as tf.math.top_k).
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const topKConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'TopK',
  backendName: 'reference',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const k = args.attrs.k as number;
    const values = valuesOf(args, 'x');
    const count = x.shape[x.shape.length - 1]!;
    const rows = count === 0 ? 0 : values.length / count;
    const outShape = [...x.shape.slice(0, -1), k];
    const outValues = allocateOutput(outShape, x.dtype);
    const outIndices = new Int32Array(rows * k);
    const order = new Array<number>(count);
    for (let row = 0; row < rows; row++) {
      const base = row * count;
      for (let index = 0; index < count; index++) order[index] = index;
      order.sort((left, right) => {
        const a = values[base + left]!;
        const b = values[base + right]!;
        if (a !== a) return b !== b ? left - right : -1;
        if (b !== b) return 1;
        return b - a || left - right;
      });
      for (let rank = 0; rank < k; rank++) {
        outValues[row * k + rank] = values[base + order[rank]!]!;
        outIndices[row * k + rank] = order[rank]!;
      }
    }
    return [output(args, outValues, outShape, x.dtype), output(args, outIndices, outShape, 'int32')];
  },
};
