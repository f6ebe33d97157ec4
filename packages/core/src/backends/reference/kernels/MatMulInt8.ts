// a: int8 [M, K], aScale: float32 [M], b: int8 [G, K, N] memory order (or [N, K] with transposeB),
// bScale: float32 [G·N] → float32 [M, G·N]:
//   out[m, g·N + n] = f32(Σ_k a[m,k]·b[g,k,n]) / f32(aScale[m] · bScale[g·N + n])
// The naive twin: one int32 sum per output (wrapping adds, as an int32 accumulator would), then
// Keras's float32 steps. a and b are read as stored (Int8Array), never decoded.
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const matMulInt8Config: KernelConfig<ReferenceBackend> = {
  kernelName: 'MatMulInt8',
  backendName: 'reference',
  storageInputs: ['a', 'b'],
  kernelFunc(args) {
    const [M, K] = args.inputs.a!.shape as [number, number];
    const transposeB = args.attrs.transposeB as boolean;
    const groups = args.attrs.groups as number;
    const outShape = args.outputShapes[0]!;
    const outputs = outShape[1]!;
    const N = outputs / groups;
    const a = valuesOf(args, 'a');
    const aScale = valuesOf(args, 'aScale');
    const b = valuesOf(args, 'b');
    const bScale = valuesOf(args, 'bScale');
    const out = allocateOutput(outShape, 'float32');
    for (let m = 0; m < M; m++)
      for (let g = 0; g < groups; g++)
        for (let n = 0; n < N; n++) {
          let total = 0;
          for (let k = 0; k < K; k++) {
            const weight = transposeB ? b[n * K + k]! : b[(g * K + k) * N + n]!;
            total = (total + a[m * K + k]! * weight) | 0;
          }
          const column = g * N + n;
          out[m * outputs + column] = Math.fround(total) / Math.fround(aScale[m]! * bScale[column]!);
        }
    return output(args, out, outShape, 'float32');
  },
};
