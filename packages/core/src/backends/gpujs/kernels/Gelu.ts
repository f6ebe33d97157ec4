// Fused gelu, elementwise on the device (float32). Exact: x/2 · (1 + erf(x/√2)), with 1 + erf
// computed as erfc(-x/√2) where it is small so negative inputs keep their relative precision.
// Approximate (Keras): x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³))), tanh from exp(-2|u|).
import type { KernelConfig } from '../../../kernel-registry.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info } from '../kernel-helpers.js';
import { float, kernelSource } from '../source.js';
import { erfStatements } from './erf-source.js';

const exactSource = kernelSource(
  ['values'],
  `const input = values[this.thread.x];
const half = 0.5 * input;
const x = input * ${float(Math.SQRT1_2)};
${erfStatements({ plusOne: true, factor: 'half' })}`,
);

const approximateSource = kernelSource(
  ['values'],
  `const x = values[this.thread.x];
const u = ${float(Math.sqrt(2 / Math.PI))} * (x + 0.044715 * x * x * x);
const e = Math.exp(-2.0 * Math.abs(u));
const magnitude = (1.0 - e) / (1.0 + e);
const tanh = u < 0.0 ? -magnitude : magnitude;
return 0.5 * x * (1.0 + tanh);
`,
);

export const geluConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Gelu',
  backendName: 'gpujs',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const approximate = args.attrs.approximate as boolean;
    const size = x.shape.reduce((total, dim) => total * dim, 1);
    const source = approximate ? approximateSource : exactSource;
    const dataId = args.backend.run({ name: 'Gelu', source, output: [Math.max(size, 1)] }, [x.dataId], x.shape, 'float32');
    return info(dataId, x.shape, 'float32');
  },
};
