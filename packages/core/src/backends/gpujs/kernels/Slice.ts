// x → x[begin[0]:begin[0]+size[0], …]: each thread reads at begin + its coordinates.
// float32/bool on the device, int32 on the host.
import type { KernelConfig } from '../../../kernel-registry.js';
import { stridesOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { kernelSource, layoutOf, offsetExpression } from '../source.js';

export const sliceConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Slice',
  backendName: 'gpujs',
  kernelFunc(args) {
    const x = args.inputs.x!;
    if (!deviceEligible(args)) return runOnHost('Slice', args);
    const begin = args.attrs.begin as number[];
    const size = args.attrs.size as number[];
    const inStrides = stridesOf(x.shape);
    const base = begin.reduce((total, start, axis) => total + start * inStrides[axis]!, 0);
    const strides = size.map((dim, axis) => (dim === 1 ? 0 : inStrides[axis]!));
    const layout = layoutOf(size);
    const source = kernelSource(['x'], `${layout.coordinates}return x[${offsetExpression(strides, base)}];\n`);
    const dataId = args.backend.run({ name: 'Slice', source, output: layout.output }, [x.dataId], size, x.dtype);
    return info(dataId, size, x.dtype);
  },
};
