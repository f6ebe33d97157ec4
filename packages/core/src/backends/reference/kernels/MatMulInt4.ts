// a: float32 [M, K]; packed int4 weights (int8 bytes, two nibbles each); scale float32; zero int8
// (grouped) → float32 [M, outputs]. The naive twin: each weight is found through the layout's
// index map (kernel-names.ts, MatMulInt4), unpacked ((v ^ 8) − 8), dequantized in float32
// (f32(f32(q − zero) · scale), or f32(q / scale) per channel), and the products summed in float64.
//  'kernel':     W [G, K, N]; packed [K, ceil(G·N/2)]; scale/zero [nGroups, G·N] (per channel [G·N]).
//  'transposed': W [N, K];    packed [N, ceil(K/2)];   scale/zero [N, nGroups]   (per channel [N]).
import type { KernelConfig } from '../../../kernel-registry.js';
import { allocateOutput, output, valuesOf } from '../kernel-helpers.js';
import type { ReferenceBackend } from '../reference-backend.js';

export const matMulInt4Config: KernelConfig<ReferenceBackend> = {
  kernelName: 'MatMulInt4',
  backendName: 'reference',
  storageInputs: ['packed', 'zero'],
  kernelFunc(args) {
    const [M, K] = args.inputs.a!.shape as [number, number];
    const packedWidth = args.inputs.packed!.shape[1]!;
    const layout = args.attrs.layout as 'kernel' | 'transposed';
    const groups = args.attrs.groups as number;
    const blockSize = args.attrs.blockSize as number;
    const perChannel = blockSize === -1;
    const outShape = args.outputShapes[0]!;
    const outputs = outShape[1]!;
    const a = valuesOf(args, 'a');
    const packed = valuesOf(args, 'packed');
    const scale = valuesOf(args, 'scale');
    const zero = perChannel ? null : valuesOf(args, 'zero');
    const nGroups = perChannel ? 1 : Math.ceil(K / blockSize);
    const N = outputs / groups;
    // The dequantized weight w(output o = g·N + n, k), read from the packed bytes.
    const weight = (o: number, k: number): number => {
      let row: number;
      let column: number;
      let scaleIndex: number;
      if (layout === 'kernel') {
        const g = Math.floor(o / N);
        const n = o - g * N;
        const r = g * K + k;
        row = Math.floor(r / groups);
        column = (r % groups) * N + n;
        scaleIndex = perChannel ? column : Math.floor(row / blockSize) * outputs + column;
      } else {
        row = o;
        column = k;
        scaleIndex = perChannel ? o : o * nGroups + Math.floor(k / blockSize);
      }
      const byte = packed[row * packedWidth + (column >> 1)]! & 0xff;
      const q = (((column & 1) === 0 ? byte & 0x0f : byte >> 4) ^ 8) - 8;
      if (perChannel) return Math.fround(q / scale[scaleIndex]!);
      return Math.fround((q - zero![scaleIndex]!) * scale[scaleIndex]!);
    };
    const out = allocateOutput(outShape, 'float32');
    for (let m = 0; m < M; m++)
      for (let o = 0; o < outputs; o++) {
        let total = 0;
        for (let k = 0; k < K; k++) total += a[m * K + k]! * weight(o, k);
        out[m * outputs + o] = total;
      }
    return output(args, out, outShape, 'float32');
  },
};
