// packed: int8 [outer, ceil(length / 2)] → int8 [outer, length]. out[o, i] is the low nibble of
// packed[o, i >> 1] for even i, the high nibble for odd i, sign-extended: (v ^ 8) − 8.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const unpackInt4Config: KernelConfig<ReferenceBackend> = {
  kernelName: 'UnpackInt4',
  backendName: 'reference',
  storageInputs: ['packed'],
  kernelFunc(args) {
    const packedWidth = args.inputs.packed!.shape[1]!;
    const length = args.attrs.length as number;
    const outShape = args.outputShapes[0]!;
    const outer = outShape[0]!;
    const packed = valuesOf(args, 'packed');
    const out = allocateOutput(outShape, 'int8');
    for (let row = 0; row < outer; row++)
      for (let index = 0; index < length; index++) {
        const byte = packed[row * packedWidth + (index >> 1)]! & 0xff;
        const nibble = index % 2 === 0 ? byte & 0x0f : byte >> 4;
        out[row * length + index] = (nibble ^ 8) - 8;
      }
    return output(args, out, outShape, 'int8');
  },
};
