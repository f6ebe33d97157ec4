// a: float32 [M, K]; packed int4 weights (int8 bytes, two nibbles each); scale float32; zero int8
// (grouped) → float32 [M, outputs], on the device: one thread per output walks k, finds each
// weight's byte through the layout's index map (kernel-names.ts, MatMulInt4), takes its nibble
// ((v ^ 8) − 8, as v ≥ 8 ? v − 16 : v), dequantizes it in float32 and accumulates a·w in two
// levels (blocks of √K terms, then the block sums). The weights stay packed on the device: no
// dequantized copy is made. Inputs beyond 2^22 elements (float32 index math) run on the host.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info, runOnHost } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf } from '../source.js';
import { maxDeviceElements } from './MatMulInt8.js';

export const matMulInt4Config: KernelConfig<GpujsBackend> = {
  kernelName: 'MatMulInt4',
  backendName: 'gpujs',
  storageInputs: ['packed', 'zero'],
  kernelFunc(args) {
    const a = args.inputs.a!;
    const packed = args.inputs.packed!;
    const [M, K] = a.shape as [number, number];
    const packedWidth = packed.shape[1]!;
    const layout = args.attrs.layout as 'kernel' | 'transposed';
    const groups = args.attrs.groups as number;
    const blockSize = args.attrs.blockSize as number;
    const perChannel = blockSize === -1;
    const outShape = args.outputShapes[0]!;
    const outputs = outShape[1]!;
    const N = outputs / groups;
    const nGroups = perChannel ? 1 : Math.ceil(K / blockSize);
    const sizes = Object.values(args.inputs).map((input) => input.shape.reduce((total, dim) => total * dim, 1));
    if (M * outputs === 0 || K === 0 || Math.max(M * outputs, groups * K, ...sizes) > maxDeviceElements) return runOnHost('MatMulInt4', args);
    const threadLayout = layoutOf([M, outputs]);
    // Row and column of the packed matrix holding weight (output c1, k), and its scale index.
    const position =
      layout === 'kernel'
        ? `const g = Math.floor((c1 + 0.5) / ${float(N)});
    const n = c1 - g * ${float(N)};
    const r = g * ${float(K)} + k;
    const row = Math.floor((r + 0.5) / ${float(groups)});
    const column = (r - row * ${float(groups)}) * ${float(N)} + n;
    const scaleIndex = ${perChannel ? 'column' : `Math.floor((row + 0.5) / ${float(blockSize)}) * ${float(outputs)} + column`};`
        : `const row = c1;
    const column = k;
    const scaleIndex = ${perChannel ? 'c1' : `c1 * ${float(nGroups)} + Math.floor((k + 0.5) / ${float(blockSize)})`};`;
    const dequantize = perChannel ? 'q / scale[scaleIndex]' : '(q - zero[scaleIndex]) * scale[scaleIndex]';
    const block = Math.max(1, Math.ceil(Math.sqrt(K)));
    const source = kernelSource(
      perChannel ? ['a', 'packed', 'scale'] : ['a', 'packed', 'scale', 'zero'],
      `${threadLayout.coordinates}const aStart = c0 * ${float(K)};
let total = 0.0;
for (let outer = 0; outer < ${Math.ceil(K / block)}; outer++) {
  let partial = 0.0;
  for (let step = 0; step < ${block}; step++) {
    const k = outer * ${block} + step;
    if (k < ${K}) {
    ${position}
    const pair = Math.floor((column + 0.5) / 2.0);
    const signed = packed[row * ${float(packedWidth)} + pair];
    const byte = signed < 0.0 ? signed + 256.0 : signed;
    const highNibble = Math.floor((byte + 0.5) / 16.0);
    const nibble = column - pair * 2.0 > 0.5 ? highNibble : byte - highNibble * 16.0;
    const q = nibble >= 8.0 ? nibble - 16.0 : nibble;
    partial += a[aStart + k] * (${dequantize});
    }
  }
  total += partial;
}
return total;
`,
    );
    const inputs = [a.dataId, packed.dataId, args.inputs.scale!.dataId];
    if (!perChannel) inputs.push(args.inputs.zero!.dataId);
    const dataId = args.backend.run({ name: 'MatMulInt4', source, output: threadLayout.output }, inputs, outShape, 'float32');
    return info(dataId, outShape, 'float32');
  },
};
