// condition (bool), a, b → broadcast shape: condition ? a : b.
import type { KernelConfig } from '../../../kernel-registry.js';
import { broadcastOffsets, sizeOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const whereConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'Where',
  backendName: 'reference',
  kernelFunc(args) {
    const outShape = args.outputShapes[0]!;
    const condition = valuesOf(args, 'condition');
    const a = valuesOf(args, 'a');
    const b = valuesOf(args, 'b');
    const conditionOffsets = broadcastOffsets(args.inputs.condition!.shape, outShape);
    const aOffsets = broadcastOffsets(args.inputs.a!.shape, outShape);
    const bOffsets = broadcastOffsets(args.inputs.b!.shape, outShape);
    const dtype = args.inputs.a!.dtype;
    const out = allocateOutput(outShape, dtype);
    for (let index = 0; index < sizeOf(outShape); index++)
      out[index] = condition[conditionOffsets[index]!] ? a[aOffsets[index]!]! : b[bOffsets[index]!]!;
    return output(args, out, outShape, dtype);
  },
};
