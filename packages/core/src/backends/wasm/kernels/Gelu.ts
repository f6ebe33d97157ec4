// Fused gelu: exact x·Φ(x) through the vector erf, or the tanh approximation (attrs.approximate).
import type { KernelConfig } from '../../../kernel-registry.js';
import { runUnaryF32, unaryOps } from './unary.js';
import type { WasmBackend } from '../wasm-backend.js';

export const geluConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Gelu',
  backendName: 'wasm',
  kernelFunc(args) {
    return runUnaryF32(args, 'Gelu', args.attrs.approximate ? unaryOps.GeluTanh : unaryOps.Gelu);
  },
};
