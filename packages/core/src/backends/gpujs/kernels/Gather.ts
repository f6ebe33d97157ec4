// x: [...before, n, ...after], indices (int32) → [...before, ...indices.shape, ...after]. The ids
// are checked on the host (an out-of-range id is an error naming it, as on the reference
// backend), normalised (negative ids count from the end) and uploaded as floats; each thread then
// reads its row of x on the device. int32 x runs on the host, and so do bfloat16/float16/int8
// tables, which are read as stored (storageInputs): their rows keep the table's dtype and the
// table is never decoded as a whole.
import { TensorzooError } from '../../../errors.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { info, runOnHost } from '../kernel-helpers.js';
import { float, kernelSource, layoutOf } from '../source.js';

export const gatherConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'Gather',
  backendName: 'gpujs',
  storageInputs: ['x'],
  kernelFunc(args) {
    const x = args.inputs.x!;
    const indices = args.inputs.indices!;
    if (x.dtype !== 'float32' && x.dtype !== 'bool') return runOnHost('Gather', args);
    const axis = args.attrs.axis as number;
    const outShape = args.outputShapes[0]!;
    const outer = sizeOf(x.shape.slice(0, axis));
    const count = x.shape[axis]!;
    const inner = sizeOf(x.shape.slice(axis + 1));
    const ids = args.backend.hostValues(indices.dataId);
    const rows = new Float32Array(ids.length);
    for (let item = 0; item < ids.length; item++) {
      const id = ids[item]!;
      if (id < -count || id >= count)
        throw new TensorzooError(`gather: argument 'indices' expected ids in [${-count}, ${count - 1}] (axis ${axis} of size ${count}), received ${id} at position ${item}`);
      rows[item] = id < 0 ? id + count : id;
    }
    if (sizeOf(outShape) === 0) return info(args.backend.adoptHost(new Float32Array(0), outShape, x.dtype), outShape, x.dtype);
    // The output viewed as [outer, ids, inner].
    const layout = layoutOf([outer, ids.length, inner]);
    const source = kernelSource(['x', 'rows'], `${layout.coordinates}const row = rows[c1];\nreturn x[(c0 * ${float(count)} + row) * ${float(inner)} + c2];\n`);
    const rowIds = args.backend.adoptHost(rows, [rows.length], 'float32');
    try {
      const dataId = args.backend.run({ name: 'Gather', source, output: layout.output }, [x.dataId, rowIds], outShape, x.dtype);
      return info(dataId, outShape, x.dtype);
    } finally {
      args.backend.disposeData(rowIds);
    }
  },
};
