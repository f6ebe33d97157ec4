// x: [..., n] → values [..., k] and int32 indices [..., k]: the k largest per row, largest first,
// equal values in index order, NaN above everything (as the reference's stable sort).
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const topKConfig: KernelConfig<WasmBackend> = {
  kernelName: 'TopK',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('TopK', 'x', x, ['float32', 'int32']);
    const k = args.attrs.k as number;
    const count = x.shape[x.shape.length - 1]!;
    const rows = count === 0 ? 0 : sizeOf(x.shape) / count;
    const outShape = [...x.shape.slice(0, -1), k];
    const values = allocateOutput(args, outShape, x.dtype, 'TopK');
    const indices = allocateOutput(args, outShape, 'int32', 'TopK');
    if (k > 0) args.backend.exports.topK(x.dtype === 'float32' ? 0 : 1, ptrOf(args, 'x'), values.ptr, indices.ptr, rows, count, k);
    return [values.info, indices.info];
  },
};
