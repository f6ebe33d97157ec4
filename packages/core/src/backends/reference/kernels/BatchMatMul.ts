// a: [...batchA, M, K] (or [..., K, M] when transposeA), b: [...batchB, K, N] (or [..., N, K]
// when transposeB) → [...broadcast(batchA, batchB), M, N]. A plain triple loop, accumulated in
// float64 per output element (int32: Math.imul and wrapping adds, exact modulo 2³²).
import type { KernelConfig } from '../../../kernel-registry.js';
import { broadcastOffsets, sizeOf } from '../../../shape.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const batchMatMulConfig: KernelConfig<ReferenceBackend> = {
  kernelName: 'BatchMatMul',
  backendName: 'reference',
  kernelFunc(args) {
    const a = args.inputs.a!;
    const b = args.inputs.b!;
    const transposeA = args.attrs.transposeA as boolean;
    const transposeB = args.attrs.transposeB as boolean;
    const outShape = args.outputShapes[0]!;
    const M = outShape[outShape.length - 2]!;
    const N = outShape[outShape.length - 1]!;
    const K = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
    const batchShape = outShape.slice(0, -2);
    const aBatch = broadcastOffsets(a.shape.slice(0, -2), batchShape);
    const bBatch = broadcastOffsets(b.shape.slice(0, -2), batchShape);
    const aValues = valuesOf(args, 'a');
    const bValues = valuesOf(args, 'b');
    const out = allocateOutput(outShape, a.dtype);
    const isInt = a.dtype === 'int32';
    const aStrideM = transposeA ? 1 : K;
    const aStrideK = transposeA ? M : 1;
    const bStrideK = transposeB ? 1 : N;
    const bStrideN = transposeB ? K : 1;
    for (let batch = 0; batch < sizeOf(batchShape); batch++) {
      const aBase = aBatch[batch]! * M * K;
      const bBase = bBatch[batch]! * K * N;
      const outBase = batch * M * N;
      for (let row = 0; row < M; row++)
        for (let column = 0; column < N; column++) {
          let total = 0;
          if (isInt)
            for (let inner = 0; inner < K; inner++)
              total = (total + Math.imul(aValues[aBase + row * aStrideM + inner * aStrideK]!, bValues[bBase + inner * bStrideK + column * bStrideN]!)) | 0;
          else
            for (let inner = 0; inner < K; inner++)
              total += aValues[aBase + row * aStrideM + inner * aStrideK]! * bValues[bBase + inner * bStrideK + column * bStrideN]!;
          out[outBase + row * N + column] = total;
        }
    }
    return output(args, out, outShape, a.dtype);
  },
};
