// Reductions over the last axis of x: [outer, inner] → [outer] (assembly/reduce.ts), split by
// rows. Sum/Max/Min keep float32 (int32 for int32 and bool input); ArgMax gives int32.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { KernelName } from '../../../kernel-names.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

const codes = { Sum: 0, Max: 1, Min: 2, ArgMax: 3 } as const;

export function reduceKernel(kernelName: 'Sum' | 'Max' | 'Min' | 'ArgMax'): KernelConfig<WasmBackend> {
  return {
    kernelName: kernelName as KernelName,
    backendName: 'wasm',
    kernelFunc(args) {
      const x = args.inputs.x!;
      expectDType(kernelName, 'x', x, ['float32', 'int32', 'bool']);
      const [outer, inner] = x.shape as [number, number];
      const dtype = kernelName === 'ArgMax' || x.dtype !== 'float32' ? 'int32' : 'float32';
      const out = allocateOutput(args, [outer], dtype, kernelName);
      const task = x.dtype === 'float32' ? 'reduceF32' : x.dtype === 'int32' ? 'reduceI32' : 'reduceU8';
      args.backend.parallel(task, [codes[kernelName], ptrOf(args, 'x'), out.ptr, inner], outer, outer * inner);
      return out.info;
    },
  };
}
