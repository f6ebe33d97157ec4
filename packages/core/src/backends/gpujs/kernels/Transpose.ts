// x → x permuted by attrs.perm (out.shape[i] = x.shape[perm[i]]): each thread reads its element
// through the permuted input strides. float32/bool on the device, int32 on the host.
import type { KernelConfig } from '../../../kernel-registry.js';
import { stridesOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { kernelSource, layoutOf, offsetExpression } from '../source.js';

export const transposeConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Transpose',
  backendName: 'gpujs',
  kernelFunc(args) {
    const x = args.inputs.x!;
    if (!deviceEligible(args)) return runOnHost('Transpose', args);
    const perm = args.attrs.perm as number[];
    const outShape = args.outputShapes[0]!;
    const inStrides = stridesOf(x.shape);
    const strides = perm.map((axis, position) => (outShape[position] === 1 ? 0 : inStrides[axis]!));
    const layout = layoutOf(outShape);
    const source = kernelSource(['x'], `${layout.coordinates}return x[${offsetExpression(strides)}];\n`);
    const dataId = args.backend.run({ name: 'Transpose', source, output: layout.output }, [x.dataId], outShape, x.dtype);
    return info(dataId, outShape, x.dtype);
  },
};
