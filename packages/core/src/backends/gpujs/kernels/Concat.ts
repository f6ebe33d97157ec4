// inputs x0, x1, … (equal except along attrs.axis) → concatenated along axis: each thread finds
// the part its coordinate along the axis falls in and reads it there. float32/bool on the device.
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf, offsetExpression } from '../source.js';

export const concatConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Concat',
  backendName: 'gpujs',
  kernelFunc(args) {
    const axis = args.attrs.axis as number;
    const outShape = args.outputShapes[0]!;
    const names = Object.keys(args.inputs).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    const parts = names.map((name) => args.inputs[name]!).filter((part) => sizeOf(part.shape) > 0);
    if (!deviceEligible(args) || parts.length === 0) return runOnHost('Concat', args);
    const layout = layoutOf(outShape);
    const lines: string[] = [];
    let start = 0;
    parts.forEach((part, index) => {
      const strides = stridesOf(part.shape).map((stride, position) => (part.shape[position] === 1 ? 0 : stride));
      const base = -start * (strides[axis] ?? 0);
      const read = `return x${index}[${offsetExpression(strides, base)}];`;
      start += part.shape[axis]!;
      lines.push(index === parts.length - 1 ? read : `if (c${axis} < ${float(start)}) {\n  ${read}\n}`);
    });
    const source = kernelSource(parts.map((_, index) => `x${index}`), `${layout.coordinates}${lines.join('\n')}\n`);
    const dataId = args.backend.run({ name: 'Concat', source, output: layout.output }, parts.map((part) => part.dataId), outShape, parts[0]!.dtype);
    return info(dataId, outShape, parts[0]!.dtype);
  },
};
