// x → attrs.dtype between float32, int32, bool, bfloat16, float16 and int8 (assembly/cast.ts).
// Reads bfloat16/float16/int8 storage directly. Float → int truncates toward zero, saturating at
// the int32 range (→ int8: at [-128, 127], from int32 too; NaN → 0); → bool is x ≠ 0;
// → bfloat16/float16 round to nearest even.
import type { DType } from '../../../dtype.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, castKind, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const castConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Cast',
  backendName: 'wasm',
  storageInputs: ['x'],
  kernelFunc(args) {
    const x = args.inputs.x!;
    const dtype = args.attrs.dtype as DType;
    const out = allocateOutput(args, x.shape, dtype, 'Cast');
    const size = sizeOf(x.shape);
    args.backend.parallel('cast', [castKind(x.dtype), castKind(dtype), ptrOf(args, 'x'), out.ptr], size, size, 16);
    return out.info;
  },
};
