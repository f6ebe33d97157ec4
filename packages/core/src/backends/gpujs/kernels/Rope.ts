// Fused rotary embedding, x: [B, T, heads, H], cos/sin: [T, H] → x·cos + rotateHalf(x)·sin with
// rotateHalf(x) = [−x[H/2:], x[:H/2]]: one device pass, each thread reads its element and its
// rotation partner.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf } from '../source.js';

export const ropeConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Rope',
  backendName: 'gpujs',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const [, T, heads, H] = x.shape as [number, number, number, number];
    const half = H / 2;
    const layout = layoutOf(x.shape);
    const source = kernelSource(
      ['x', 'cos', 'sin'],
      `${layout.coordinates}const position = ((c0 * ${float(T)} + c1) * ${float(heads)} + c2) * ${float(H)} + c3;
const table = c1 * ${float(H)} + c3;
let rotated = 0.0;
if (c3 < ${float(half)}) {
  rotated = -x[position + ${float(half)}];
} else {
  rotated = x[position - ${float(half)}];
}
return x[position] * cos[table] + rotated * sin[table];
`,
    );
    const dataId = args.backend.run({ name: 'Rope', source, output: layout.output }, [x.dataId, args.inputs.cos!.dataId, args.inputs.sin!.dataId], x.shape, 'float32');
    return info(dataId, x.shape, 'float32');
  },
};
