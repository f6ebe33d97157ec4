// Fused RMS normalization, x: [..., D], scale: [D] → x · rsqrt(mean(x²) + epsilon) · (1 + scale).
// Two device passes: each row's mean square (one thread a row, constant loops over D, summed in
// two levels as in reduce.ts), then every element.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf } from '../source.js';
import { blockedSum } from './reduce.js';

export const rmsNormConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'RMSNorm',
  backendName: 'gpujs',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const scale = args.inputs.scale!;
    const epsilon = args.attrs.epsilon as number;
    const depth = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / depth;
    if (rows === 0 || depth === 0) return info(args.backend.adoptHost(new Float32Array(0), x.shape, 'float32'), x.shape, 'float32');
    const backend = args.backend;
    const meanSquare = backend.run(
      {
        name: 'RMSNormMeanSquare',
        source: kernelSource(['x'], `const base = this.thread.x * ${float(depth)};
${blockedSum(depth, 'x[base + index] * x[base + index]')}return total / ${float(depth)};
`),
        output: [rows],
      },
      [x.dataId],
      [rows],
      'float32',
    );
    const layout = layoutOf([rows, depth]);
    const out = backend.run(
      {
        name: 'RMSNorm',
        source: kernelSource(['x', 'scale', 'meanSquare'], `${layout.coordinates}const value = x[c0 * ${float(depth)} + c1];
return value * (1.0 / Math.sqrt(meanSquare[c0] + ${float(epsilon)})) * (1.0 + scale[c1]);
`),
        output: layout.output,
      },
      [x.dataId, scale.dataId, meanSquare],
      x.shape,
      'float32',
    );
    backend.disposeData(meanSquare);
    return info(out, x.shape, 'float32');
  },
};
