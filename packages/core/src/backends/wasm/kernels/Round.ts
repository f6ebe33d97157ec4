// Round half to even (f32x4.nearest), float32 → float32; int32 passes through unchanged.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';
import { runUnaryF32, unaryOps } from './unary.js';

export const roundConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Round',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    if (x.dtype === 'int32') {
      const out = allocateOutput(args, x.shape, 'int32', 'Round');
      const size = x.shape.reduce((a, b) => a * b, 1);
      args.backend.parallel('cast', [1, 1, ptrOf(args, 'x'), out.ptr], size, size, 16);
      return out.info;
    }
    return runUnaryF32(args, 'Round', unaryOps.Round);
  },
};
