// a: [...batchA, M, K] (or [..., K, M] with transposeA), b: [...batchB, K, N] (or [..., N, K] with
// transposeB) → [...batch, M, N], float32 on the device. GPU.js's model is one output cell per
// thread: the thread at (column, row, batch) runs a loop of constant bound K over a row of A and a
// column of B, accumulating in float32. With B laid out [K, N] (no transposeB), the threads of a
// row read consecutive B elements at each step, which is the coalesced order on a GPU.
import type { DataId, TensorInfo } from '../../../backend.js';
import type { KernelConfig } from '../../../kernel-registry.js';
import { sizeOf } from '../../../shape.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { deviceEligible, info, runOnHost } from '../kernel-helpers.js';
import { broadcastStrides, float, kernelSource } from '../source.js';
import { blockedMatMul, blockedMatMulApplies } from './mat-mul-blocked.js';
import { transposeConfig } from './Transpose.js';

export const batchMatMulConfig: KernelConfig<GpujsBackend> = {
  kernelName: 'BatchMatMul',
  backendName: 'gpujs',
  kernelFunc(args) {
    const a = args.inputs.a!;
    if (!deviceEligible(args, ['float32'])) return runOnHost('BatchMatMul', args);
    const transposeA = args.attrs.transposeA as boolean;
    const outShape = args.outputShapes[0]!;
    const M = outShape[outShape.length - 2]!;
    const N = outShape[outShape.length - 1]!;
    const K = a.shape[a.shape.length - (transposeA ? 2 : 1)]!;
    const batchShape = outShape.slice(0, -2);
    if (sizeOf(outShape) === 0 || K === 0) return runOnHost('BatchMatMul', args);
    // B given as [N, K] (transposeB) would be read K apart by neighbouring threads. Where the
    // product is large enough to pay for it, B is first transposed on the device to [K, N] (K·N
    // copies against M·N·K multiply-adds), so that every read of B is contiguous.
    let b = args.inputs.b!;
    let transposeB = args.attrs.transposeB as boolean;
    let packedB: TensorInfo | null = null;
    if (transposeB && M >= 16 && M * N * K >= 1 << 20) {
      const rank = b.shape.length;
      const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const shape = perm.map((axis) => b.shape[axis]!);
      packedB = transposeConfig.kernelFunc({ inputs: { x: b }, attrs: { perm }, backend: args.backend, outputShapes: [shape] }) as TensorInfo;
      b = packedB;
      transposeB = false;
    }
    try {
      return info(product(args.backend, a, b, { M, K, N, transposeA, transposeB, batchShape }), outShape, 'float32');
    } finally {
      if (packedB) args.backend.disposeData(packedB.dataId);
    }
  },
};

interface Product {
  M: number;
  K: number;
  N: number;
  transposeA: boolean;
  transposeB: boolean;
  batchShape: number[];
}

function product(backend: GpujsBackend, a: TensorInfo, b: TensorInfo, problem: Product): DataId {
  const { M, K, N, transposeA, transposeB, batchShape } = problem;
  const batches = sizeOf(batchShape);
  if (blockedMatMulApplies(backend, batches, M, N)) return blockedMatMul(backend, a.dataId, b.dataId, { M, K, N, transposeA, transposeB });
  // Batch coordinates decomposed from the batch index, then each operand's batch offset.
  const batchLines: string[] = [];
  const aBatchStrides = broadcastStrides(a.shape.slice(0, -2), batchShape).map((stride) => stride * M * K);
  const bBatchStrides = broadcastStrides(b.shape.slice(0, -2), batchShape).map((stride) => stride * K * N);
  let aBase = '0.0';
  let bBase = '0.0';
  if (batches > 1) {
    batchLines.push('let rest = batch;');
    for (let axis = batchShape.length - 1; axis >= 0; axis--) {
      const dim = batchShape[axis]!;
      if (axis > 0) batchLines.push(`const q${axis} = Math.floor((rest + 0.5) / ${float(dim)});`, `const b${axis} = rest - q${axis} * ${float(dim)};`, `rest = q${axis};`);
      else batchLines.push(`const b${axis} = rest;`);
    }
    const sum = (strides: number[]) => strides.flatMap((stride, axis) => (stride === 0 ? [] : [`b${axis} * ${float(stride)}`])).join(' + ') || '0.0';
    aBase = sum(aBatchStrides);
    bBase = sum(bBatchStrides);
  }
  const aRow = transposeA ? `row` : `row * ${float(K)}`;
  const aStep = transposeA ? float(M) : '1.0';
  const bColumn = transposeB ? `column * ${float(K)}` : 'column';
  const bStep = transposeB ? '1.0' : float(N);
  // One matrix with N a power of two ≥ 64 runs on a flat output: consecutive threads (one
  // 64-wide WebGPU workgroup, one GPU.js 1D dispatch) take consecutive columns of one row, so
  // each step reads one A element for all of them and 64 contiguous B elements; the row and
  // column split of the flat index divides by a power of two, exact in float32. Otherwise wide
  // single matrices fold rows into thread.z (a 2D texture row holds at most 4096 here).
  const flat = batches === 1 && N >= 64 && (N & (N - 1)) === 0 && M * N <= 1 << 24;
  const foldRows = !flat && batches === 1 && M > 1 && N > 4096;
  const output = flat ? [M * N] : foldRows ? [N, 1, M] : [N, M, batches];
  const coordinates = flat
    ? `const row = Math.floor(this.thread.x / ${float(N)});
const column = this.thread.x - row * ${float(N)};
const batch = 0;`
    : `const column = this.thread.x;
const row = ${foldRows ? 'this.thread.z' : 'this.thread.y'};
const batch = ${foldRows ? '0' : 'this.thread.z'};`;
  const source = kernelSource(
    ['a', 'b'],
    `${coordinates}
${batchLines.join('\n')}
const aStart = ${aBase} + ${aRow};
const bStart = ${bBase} + ${bColumn};
let total = 0.0;
for (let k = 0; k < ${K}; k++) {
  total += a[aStart + k * ${aStep}] * b[bStart + k * ${bStep}];
}
return total;
`,
  );
  return backend.run({ name: 'BatchMatMul', source, output }, [a.dataId, b.dataId], [...batchShape, M, N], 'float32');
}
