// condition (bool), a, b (same dtype) broadcast → condition ? a : b. float32/int32 rows with all
// three operands contiguous select four lanes at a time.
import type { KernelConfig } from '../../../kernel-registry.js';
import { argumentError } from '../../../errors.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, broadcastStrides, collapseLoop, expectDType, ptrOf, writeDescriptor } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const whereConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Where',
  backendName: 'wasm',
  kernelFunc(args) {
    const { condition, a, b } = args.inputs as Record<'condition' | 'a' | 'b', (typeof args.inputs)[string]>;
    expectDType('Where', 'condition', condition!, ['bool']);
    expectDType('Where', 'a', a!, ['float32', 'int32', 'bool']);
    if (a!.dtype !== b!.dtype) argumentError('wasm Where', 'b', `the dtype of a (${a!.dtype})`, b!.dtype);
    const outShape = args.outputShapes[0]!;
    const out = allocateOutput(args, outShape, a!.dtype, 'Where');
    const size = sizeOf(outShape);
    if (size === 0) return out.info;
    const loop = collapseLoop(outShape, [
      broadcastStrides(condition!.shape, outShape),
      broadcastStrides(a!.shape, outShape),
      broadcastStrides(b!.shape, outShape),
    ]);
    const desc = writeDescriptor(args.backend, loop);
    const elementSize = a!.dtype === 'bool' ? 1 : 4;
    args.backend.parallel(
      'whereStrided',
      [elementSize, ptrOf(args, 'condition'), ptrOf(args, 'a'), ptrOf(args, 'b'), out.ptr, desc, loop.rank],
      loop.rows,
      size,
    );
    return out.info;
  },
};
