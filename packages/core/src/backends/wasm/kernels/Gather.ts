// x: [...before, n, ...after], indices (int32) → [...before, ...indices.shape, ...after]; ids are
// checked (negative ids count from the end) before anything is copied. x is read as stored
// (storageInputs): rows of a bfloat16 / float16 / int8 table keep its dtype, and the table is
// never decoded as a whole.
import { bytesPerElement } from '../../../dtype.js';
import { TensorzooError } from '../../../errors.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const gatherConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Gather',
  backendName: 'wasm',
  storageInputs: ['x'],
  kernelFunc(args) {
    const x = args.inputs.x!;
    const indices = args.inputs.indices!;
    expectDType('Gather', 'indices', indices, ['int32']);
    const axis = args.attrs.axis as number;
    const outShape = args.outputShapes[0]!;
    const outer = sizeOf(x.shape.slice(0, axis));
    const count = x.shape[axis]!;
    const inner = sizeOf(x.shape.slice(axis + 1));
    const n = sizeOf(indices.shape);
    const out = allocateOutput(args, outShape, x.dtype, 'Gather');
    const ids = ptrOf(args, 'indices');
    const bad = args.backend.exports.gather(bytesPerElement(x.dtype), ptrOf(args, 'x'), ids, n, outer, count, inner, out.ptr) as number;
    if (bad >= 0) {
      args.backend.disposeData(out.info.dataId);
      const id = args.backend.i32()[ids / 4 + bad];
      throw new TensorzooError(`gather: argument 'indices' expected ids in [${-count}, ${count - 1}] (axis ${axis} of size ${count}), received ${id} at position ${bad}`);
    }
    return out.info;
  },
};
