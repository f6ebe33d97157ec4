// a: int8 [M, K], aScale: float32 [M], b: int8 [G, K, N] memory order (or [N, K] with transposeB),
// bScale: float32 [G·N] → float32 [M, G·N], on the device: one thread per output.
//   out[m, g·N + n] = f32(Σ_k a[m,k]·b[g,k,n]) / f32(aScale[m] · bScale[g·N + n])
// The int8 values travel as float32 (exact). The integer sum must be exact before its one
// rounding to float32, and float32 holds integers exactly only to 2^24, so it is kept in two
// exact parts: each run of 128 products sums exactly (|Σ| ≤ 128·128·127 < 2^21), and is split
// into high = floor(Σ / 4096) and low = Σ − 4096·high ∈ [0, 4096), accumulated separately (both
// stay below 2^24 for K < 2^19). total = high·4096 + low is then one correctly rounded addition.
// Inputs beyond 2^22 elements (where float32 index math stops being exact) run on the host.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info, runOnHost } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf } from '../source.js';

const chunk = 128;
export const maxDeviceElements = 1 << 22;

export const matMulInt8Config: KernelConfig<GpujsBackend> = {
  kernelName: 'MatMulInt8',
  backendName: 'gpujs',
  storageInputs: ['a', 'b'],
  kernelFunc(args) {
    const a = args.inputs.a!;
    const b = args.inputs.b!;
    const [M, K] = a.shape as [number, number];
    const transposeB = args.attrs.transposeB as boolean;
    const groups = args.attrs.groups as number;
    const outShape = args.outputShapes[0]!;
    const outputs = outShape[1]!;
    const N = outputs / groups;
    const sizes = Object.values(args.inputs).map((input) => input.shape.reduce((total, dim) => total * dim, 1));
    if (M * outputs === 0 || K === 0 || K >= 1 << 19 || Math.max(M * outputs, ...sizes) > maxDeviceElements) return runOnHost('MatMulInt8', args);
    const layout = layoutOf([M, outputs]);
    const bStart = transposeB ? `n * ${float(K)}` : `g * ${float(K * N)} + n`;
    const bStep = transposeB ? '1.0' : float(N);
    const source = kernelSource(
      ['a', 'aScale', 'b', 'bScale'],
      `${layout.coordinates}const g = Math.floor((c1 + 0.5) / ${float(N)});
const n = c1 - g * ${float(N)};
const aStart = c0 * ${float(K)};
const bStart = ${bStart};
let high = 0.0;
let low = 0.0;
for (let outer = 0; outer < ${Math.ceil(K / chunk)}; outer++) {
  let partial = 0.0;
  for (let step = 0; step < ${chunk}; step++) {
    const k = outer * ${chunk} + step;
    if (k < ${K}) {
      partial += a[aStart + k] * b[bStart + k * ${bStep}];
    }
  }
  const carry = Math.floor(partial / 4096.0);
  high += carry;
  low += partial - carry * 4096.0;
}
const total = high * 4096.0 + low;
return total / (aScale[c0] * bScale[c1]);
`,
    );
    const inputs = [a.dataId, args.inputs.aScale!.dataId, b.dataId, args.inputs.bScale!.dataId];
    const dataId = args.backend.run({ name: 'MatMulInt8', source, output: layout.output }, inputs, outShape, 'float32');
    return info(dataId, outShape, 'float32');
  },
};
