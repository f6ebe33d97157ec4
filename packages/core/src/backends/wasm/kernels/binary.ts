// Elementwise binary kernels with NumPy broadcasting (assembly/binary.ts). float32 operands that
// are the output's shape or scalars take the flat path (split by element ranges); any other
// broadcast goes through a collapsed loop descriptor (split by rows). int32 and bool always use
// descriptors. Comparisons and logical kernels produce bool.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { BinaryKernelName } from '../../../kernel-names.js';
import { shapesEqual, sizeOf } from '../../../shape.js';
import { argumentError } from '../../../errors.js';
import { allocateOutput, broadcastStrides, collapseLoop, expectDType, ptrOf, writeDescriptor } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

/** assembly/binary.ts op codes. */
export const binaryOps: Record<BinaryKernelName, number> = {
  Add: 0, Sub: 1, Mul: 2, Div: 3, Pow: 4, Maximum: 5, Minimum: 6, Equal: 7, Less: 8, Greater: 9, LogicalAnd: 10, LogicalOr: 11,
};

const producesBool = new Set<BinaryKernelName>(['Equal', 'Less', 'Greater', 'LogicalAnd', 'LogicalOr']);
const floatOnly = new Set<BinaryKernelName>(['Div', 'Pow']);
const boolOnly = new Set<BinaryKernelName>(['LogicalAnd', 'LogicalOr']);

export function binaryKernel(kernelName: BinaryKernelName): KernelConfig<WasmBackend> {
  const code = binaryOps[kernelName];
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc(args) {
      const a = args.inputs.a!;
      const b = args.inputs.b!;
      const outShape = args.outputShapes[0]!;
      if (a.dtype !== b.dtype) argumentError(`wasm ${kernelName}`, 'b', `the dtype of a (${a.dtype})`, b.dtype);
      if (boolOnly.has(kernelName)) expectDType(kernelName, 'a', a, ['bool']);
      else if (floatOnly.has(kernelName)) expectDType(kernelName, 'a', a, ['float32']);
      else expectDType(kernelName, 'a', a, ['float32', 'int32', 'bool']);
      const dtype = producesBool.has(kernelName) ? 'bool' : a.dtype;
      const out = allocateOutput(args, outShape, dtype, kernelName);
      const size = sizeOf(outShape);
      if (size === 0) return out.info;
      const backend = args.backend;
      const pa = ptrOf(args, 'a');
      const pb = ptrOf(args, 'b');
      if (a.dtype === 'float32') {
        const aFull = shapesEqual(a.shape, outShape);
        const bFull = shapesEqual(b.shape, outShape);
        if ((aFull || sizeOf(a.shape) === 1) && (bFull || sizeOf(b.shape) === 1)) {
          backend.parallel('binaryF32Flat', [code, pa, aFull ? 1 : 0, pb, bFull ? 1 : 0, out.ptr], size, kernelName === 'Pow' ? size * 16 : size, 16);
          return out.info;
        }
      }
      const loop = collapseLoop(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
      const desc = writeDescriptor(backend, loop);
      const task = a.dtype === 'float32' ? 'binaryF32Strided' : a.dtype === 'int32' ? 'binaryI32Strided' : 'binaryU8Strided';
      backend.parallel(task, [code, pa, pb, out.ptr, desc, loop.rank], loop.rows, size);
      return out.info;
    },
  };
}
