// x → attrs.dtype. Values the host already holds are converted there (the reference code). Device
// values convert on the device where the result is float32, bool or int8 (float32 ↔ bool, float32
// copy, float32 → int8 truncated toward zero and saturated to [-128, 127]: small integers are exact
// in float32, so int8 data can stay on the device, as the quantized products read it there);
// a cast to int32, bfloat16 or float16 reads the values back first (GL modes).
import type { DType } from '../../../dtype.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info, runOnHost } from '../kernel-helpers.js';
import { kernelSource } from '../source.js';

export const castConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Cast',
  backendName: 'gpujs',
  storageInputs: ['x'],
  kernelFunc(args) {
    const x = args.inputs.x!;
    const dtype = args.attrs.dtype as DType;
    const onDevice = args.backend.isOnDevice(x.dataId) && (x.dtype === 'float32' || x.dtype === 'bool');
    if (!onDevice || (dtype !== 'float32' && dtype !== 'bool' && dtype !== 'int8')) return runOnHost('Cast', args);
    const body =
      dtype === 'bool'
        ? 'return x == 0.0 ? 0.0 : 1.0;'
        : dtype === 'int8'
          ? 'const truncated = x < 0.0 ? Math.ceil(x) : Math.floor(x);\nreturn Math.min(127.0, Math.max(-128.0, truncated));'
          : 'return x;';
    const source = kernelSource(['values'], `const x = values[this.thread.x];\n${body}\n`);
    const size = x.shape.reduce((total, dim) => total * dim, 1);
    const dataId = args.backend.run({ name: 'Cast', source, output: [Math.max(size, 1)] }, [x.dataId], x.shape, dtype);
    return info(dataId, x.shape, dtype);
  },
};
