// packed: int8 [outer, ceil(length / 2)] → int8 [outer, length]: the low nibble is the even index,
// nibble v → (v ^ 8) − 8 (assembly/quantize.ts, 32 values per step). Rows split across threads.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const unpackInt4Config: KernelConfig<WasmBackend> = {
  kernelName: 'UnpackInt4',
  backendName: 'wasm',
  storageInputs: ['packed'],
  kernelFunc(args) {
    const packed = args.inputs.packed!;
    expectDType('UnpackInt4', 'packed', packed, ['int8']);
    const length = args.attrs.length as number;
    const outShape = args.outputShapes[0]!;
    const outer = outShape[0]!;
    const out = allocateOutput(args, outShape, 'int8', 'UnpackInt4');
    args.backend.parallel('unpackInt4', [ptrOf(args, 'packed'), out.ptr, length], outer, outer * length);
    return out.info;
  },
};
