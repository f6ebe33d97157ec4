// x → attrs.dtype. float → int truncates toward zero and saturates (NaN → 0, beyond the int32
// range → its nearest end, as XLA and wasm's i32.trunc_sat do; a plain Int32Array store would
// wrap modulo 2³², and turn ±inf into 0); → int8 likewise saturates to [-128, 127] (from int32
// too); → bool is `x != 0`; float32 ↔ bfloat16/float16 round to nearest even. int8 input is read
// as stored (its values are the integers).
import { allocate, decodeToCompute, encodeStorage, saturateToInt32, saturateToInt8, type DType } from '../../../dtype.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const castConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Cast',
  backendName: 'reference',
  storageInputs: ['x'],
  kernelFunc(args) {
    const x = args.inputs.x!;
    const dtype = args.attrs.dtype as DType;
    const values = decodeToCompute(valuesOf(args, 'x'), x.dtype);
    if (dtype === 'bfloat16' || dtype === 'float16') return output(args, encodeStorage(values, dtype), x.shape, dtype);
    const out = allocate(dtype, values.length);
    if (dtype === 'int32') for (let index = 0; index < values.length; index++) out[index] = saturateToInt32(values[index]!);
    else if (dtype === 'int8') for (let index = 0; index < values.length; index++) out[index] = saturateToInt8(values[index]!);
    else if (dtype === 'bool') for (let index = 0; index < values.length; index++) out[index] = values[index] !== 0 ? 1 : 0;
    else out.set(values);
    return output(args, out, x.shape, dtype);
  },
};
