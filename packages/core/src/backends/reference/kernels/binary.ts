// Elementwise binary kernels with NumPy broadcasting. Arithmetic keeps the (already unified) input
// dtype; comparisons and logical kernels produce bool.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { BinaryKernelName } from '../../../kernel-names.js';
import { broadcastOffsets, shapesEqual, sizeOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf, type ReferenceKernelArgs } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export function binaryKernel(
  kernelName: BinaryKernelName,
  fn: (a: number, b: number) => number,
  producesBool = false,
  /** For int32 inputs where float64 arithmetic would not wrap exactly modulo 2³² (Mul). */
  intFn?: (a: number, b: number) => number,
): KernelConfig<ReferenceBackend> {
  return {
    kernelName,
    backendName: 'reference',
    kernelFunc(args: ReferenceKernelArgs) {
      const a = args.inputs.a!;
      const b = args.inputs.b!;
      const outShape = args.outputShapes[0]!;
      const aValues = valuesOf(args, 'a');
      const bValues = valuesOf(args, 'b');
      const dtype = producesBool ? 'bool' : a.dtype;
      const apply = intFn && a.dtype === 'int32' ? intFn : fn;
      const out = allocateOutput(outShape, dtype);
      const size = sizeOf(outShape);
      if (shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape)) {
        for (let index = 0; index < size; index++) out[index] = apply(aValues[index]!, bValues[index]!);
      } else if (shapesEqual(a.shape, outShape) && bValues.length === 1) {
        const scalar = bValues[0]!;
        for (let index = 0; index < size; index++) out[index] = apply(aValues[index]!, scalar);
      } else {
        const aOffsets = broadcastOffsets(a.shape, outShape);
        const bOffsets = broadcastOffsets(b.shape, outShape);
        for (let index = 0; index < size; index++) out[index] = apply(aValues[aOffsets[index]!]!, bValues[bOffsets[index]!]!);
      }
      return output(args, out, outShape, dtype);
    },
  };
}
