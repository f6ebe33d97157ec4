// Elementwise unary kernels: float32 through assembly/unary.ts's f32x4 loops (op codes below),
// int32 Neg/Abs through i32x4 loops. Split across threads by element ranges aligned to 4.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { UnaryKernelName } from '../../../kernel-names.js';
import { allocateOutput, expectDType, ptrOf, type WasmKernelArgs } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

/** assembly/unary.ts op codes. */
export const unaryOps = { Neg: 0, Abs: 1, Exp: 2, Log: 3, Sqrt: 4, Rsqrt: 5, Tanh: 6, Erf: 7, Gelu: 8, GeluTanh: 9, Round: 10 } as const;

/** Runs float32 op `code` over x into a new tensor of x's shape. */
export function runUnaryF32(args: WasmKernelArgs, kernel: string, code: number) {
  const x = args.inputs.x!;
  expectDType(kernel, 'x', x, ['float32']);
  const out = allocateOutput(args, x.shape, 'float32', kernel);
  const size = out.info.shape.reduce((a, b) => a * b, 1);
  // Work estimate: transcendental ops (exp, log, tanh, erf, gelu) cost ~8 simple ones.
  const weight = code === unaryOps.Neg || code === unaryOps.Abs || code === unaryOps.Round || code === unaryOps.Sqrt || code === unaryOps.Rsqrt ? 1 : 8;
  args.backend.parallel('unaryF32', [code, ptrOf(args, 'x'), out.ptr], size, size * weight, 4);
  return out.info;
}

export function unaryKernel(kernelName: Exclude<UnaryKernelName, 'LogicalNot' | 'Round'>): KernelConfig<WasmBackend> {
  const code = unaryOps[kernelName];
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc(args) {
      const x = args.inputs.x!;
      if (x.dtype === 'int32' && (kernelName === 'Neg' || kernelName === 'Abs')) {
        const out = allocateOutput(args, x.shape, 'int32', kernelName);
        const size = x.shape.reduce((a, b) => a * b, 1);
        args.backend.parallel('unaryI32', [code, ptrOf(args, 'x'), out.ptr], size, size, 4);
        return out.info;
      }
      return runUnaryF32(args, kernelName, code);
    },
  };
}
