// Fused rotary embedding: x [B, T, heads, H], cos/sin [T, H] → x·cos + rotateHalf(x)·sin.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import { allocateOutput, expectDType, ptrOf } from '../kernel-helpers.js';
import type { WasmBackend } from '../wasm-backend.js';

export const ropeConfig: KernelConfig<WasmBackend> = {
  kernelName: 'Rope',
  backendName: 'wasm',
  kernelFunc(args) {
    const x = args.inputs.x!;
    expectDType('Rope', 'x', x, ['float32']);
    const [, T, heads, H] = x.shape as [number, number, number, number];
    const out = allocateOutput(args, x.shape, 'float32', 'Rope');
    const size = sizeOf(x.shape);
    if (size === 0) return out.info;
    args.backend.parallel('rope', [ptrOf(args, 'x'), ptrOf(args, 'cos'), ptrOf(args, 'sin'), out.ptr, T, heads, H], size / H, size * 2);
    return out.info;
  },
};
