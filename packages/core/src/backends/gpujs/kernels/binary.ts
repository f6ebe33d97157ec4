// Elementwise binary kernels with NumPy broadcasting, on the device for float32 (and bool where
// `deviceDTypes` says so); int32 runs on the host. `body` reads `x` (from a) and `y` (from b) and
// returns the result. Same-shape and scalar operands read with the thread index directly; other
// broadcasts decompose the output coordinates (source.ts) and read through per-input strides.
import type { KernelConfig } from '../../../kernel-registry.js';
import type { BinaryKernelName } from '../../../kernel-names.js';
import type { DType } from '../../../dtype.js';
import { shapesEqual, sizeOf, type Shape } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { broadcastStrides, kernelSource, layoutOf, offsetExpression, type Layout } from '../source.js';

/** Reads of each input at this thread's output position, as kernel source. */
export function broadcastReads(inputShapes: readonly Shape[], outShape: Shape): { layout: Layout; offsets: string[] } {
  const size = sizeOf(outShape);
  const direct = inputShapes.every((shape) => shapesEqual(shape, outShape) || sizeOf(shape) === 1);
  if (direct) {
    const layout: Layout = { output: [Math.max(size, 1)], coordinates: '', rank: outShape.length };
    return { layout, offsets: inputShapes.map((shape) => (sizeOf(shape) === 1 && size !== 1 ? '0' : 'this.thread.x')) };
  }
  const layout = layoutOf(outShape);
  return { layout, offsets: inputShapes.map((shape) => offsetExpression(broadcastStrides(shape, outShape))) };
}

export function binaryKernel(
  kernelName: BinaryKernelName,
  body: string,
  options: { producesBool?: boolean; deviceDTypes?: readonly DType[] } = {},
): KernelConfig<GpujsBackend> {
  return {
    kernelName,
    backendName: 'gpujs',
    kernelFunc(args) {
      const a = args.inputs.a!;
      const b = args.inputs.b!;
      if (!deviceEligible(args, options.deviceDTypes ?? ['float32'])) return runOnHost(kernelName, args);
      const outShape = args.outputShapes[0]!;
      const dtype = options.producesBool ? 'bool' : a.dtype;
      const { layout, offsets } = broadcastReads([a.shape, b.shape], outShape);
      const source = kernelSource(['a', 'b'], `${layout.coordinates}const x = a[${offsets[0]}];\nconst y = b[${offsets[1]}];\n${body}\n`);
      const dataId = args.backend.run({ name: kernelName, source, output: layout.output }, [a.dataId, b.dataId], outShape, dtype);
      return info(dataId, outShape, dtype);
    },
  };
}
