// condition (bool), a, b → broadcast shape: condition ? a : b, on the device when a and b are
// float32 or bool (int32 runs on the host).
import type { KernelConfig } from '../../../kernel-registry.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { kernelSource } from '../source.js';
import { broadcastReads } from './binary.js';

export const whereConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Where',
  backendName: 'gpujs',
  kernelFunc(args) {
    const { condition, a, b } = args.inputs as Record<'condition' | 'a' | 'b', NonNullable<(typeof args.inputs)[string]>>;
    if (!deviceEligible(args)) return runOnHost('Where', args);
    const outShape = args.outputShapes[0]!;
    const { layout, offsets } = broadcastReads([condition.shape, a.shape, b.shape], outShape);
    const source = kernelSource(
      ['condition', 'a', 'b'],
      `${layout.coordinates}if (condition[${offsets[0]}] != 0.0) {\n  return a[${offsets[1]}];\n}\nreturn b[${offsets[2]}];\n`,
    );
    const dataId = args.backend.run({ name: 'Where', source, output: layout.output }, [condition.dataId, a.dataId, b.dataId], outShape, a.dtype);
    return info(dataId, outShape, a.dtype);
  },
};
