// Fused softmax over the last axis, x: [rows, n] (ops move the axis last), with an optional bool
// mask of x's shape: masked entries are exactly 0 and a fully masked row is all zeros. Three
// device passes: each row's maximum over its kept entries, each row's Σ exp(x − max) (summed in
// two levels, reduce.ts), then every element exp(x − max) / Σ. (One pass per element would
// recompute a row's statistics n times.)
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf } from '../source.js';
import { blockedSum } from './reduce.js';

export const softmaxConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Softmax',
  backendName: 'gpujs',
  kernelFunc(args) {
    const x = args.inputs.x!;
    const mask = args.inputs.mask;
    const n = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / n;
    const backend = args.backend;
    const names = mask ? ['x', 'mask'] : ['x'];
    const inputs = mask ? [x.dataId, mask.dataId] : [x.dataId];
    const kept = (index: string) => (mask ? `mask[${index}] != 0.0` : 'true');
    const rowMax = backend.run(
      {
        name: 'SoftmaxMax',
        source: kernelSource(names, `const base = this.thread.x * ${float(n)};
let best = -3.402823466e38;
for (let index = 0; index < ${n}; index++) {
  if (${kept('base + index')}) {
    best = Math.max(best, x[base + index]);
  }
}
return best;
`),
        output: [rows],
      },
      inputs,
      [rows],
      'float32',
    );
    const rowSum = backend.run(
      {
        name: 'SoftmaxSum',
        source: kernelSource([...names, 'rowMax'], `const base = this.thread.x * ${float(n)};
const best = rowMax[this.thread.x];
${blockedSum(n, mask ? `(${kept('base + index')} ? Math.exp(x[base + index] - best) : 0.0)` : 'Math.exp(x[base + index] - best)')}return total;
`),
        output: [rows],
      },
      [...inputs, rowMax],
      [rows],
      'float32',
    );
    const layout = layoutOf([rows, n]);
    const element = 'c0 * ' + float(n) + ' + c1';
    const out = backend.run(
      {
        name: 'Softmax',
        source: kernelSource([...names, 'rowMax', 'rowSum'], `${layout.coordinates}const position = ${element};
if (${mask ? `mask[position] == 0.0` : 'false'}) {
  return 0.0;
}
return Math.exp(x[position] - rowMax[c0]) / rowSum[c0];
`),
        output: layout.output,
      },
      [...inputs, rowMax, rowSum],
      x.shape,
      'float32',
    );
    backend.disposeData(rowMax);
    backend.disposeData(rowSum);
    return info(out, x.shape, 'float32');
  },
};
