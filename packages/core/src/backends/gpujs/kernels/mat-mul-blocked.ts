// The webgpu matmul for one [M, K]·[K, N] product with M a multiple of 4 and N a power of two
// ≥ 64: each thread computes a column of 4 rows (an `Array(4)` return, the one way GPU.js lets a
// thread produce several outputs), so every B element it loads serves 4 products and the B
// traffic through the caches drops by 4. 64 consecutive threads (one WebGPU workgroup) take 64
// consecutive columns of the same 4 rows, so A loads are broadcasts and B loads contiguous.
// GPU.js cannot bind an `Array(4)` result as a kernel argument, so the backend views the result
// buffer as flat floats ([M/4, N, 4]: row block, column, row in block), and one elementwise pass
// puts it in row-major [M, N] order.
import type { DataId } from '../../../backend.js';
import type { GpujsBackend } from '../gpujs-backend.js';
import { float, kernelSource, layoutOf } from '../source.js';

export interface BlockedMatMul {
  M: number;
  K: number;
  N: number;
  transposeA: boolean;
  transposeB: boolean;
}

export function blockedMatMulApplies(backend: GpujsBackend, batches: number, M: number, N: number): boolean {
  return backend.flavor === 'webgpu' && batches === 1 && M % 4 === 0 && N >= 64 && (N & (N - 1)) === 0 && M * N <= 1 << 24;
}

export function blockedMatMul(backend: GpujsBackend, a: DataId, b: DataId, problem: BlockedMatMul): DataId {
  const { M, K, N, transposeA, transposeB } = problem;
  // A[row][k] and B[k][column] offsets for either layout.
  const aAt = (row: string) => (transposeA ? `k * ${float(M)} + ${row}` : `${row} * ${float(K)} + k`);
  const bAt = transposeB ? `column * ${float(K)} + k` : `k * ${float(N)} + column`;
  const packed = backend.run(
    {
      name: 'BatchMatMulBlocked',
      source: kernelSource(
        ['a', 'b'],
        `const block = Math.floor(this.thread.x / ${float(N)});
const column = this.thread.x - block * ${float(N)};
const row = block * 4.0;
let total0 = 0.0;
let total1 = 0.0;
let total2 = 0.0;
let total3 = 0.0;
for (let k = 0; k < ${K}; k++) {
  const value = b[${bAt}];
  total0 += a[${aAt('row')}] * value;
  total1 += a[${aAt('(row + 1.0)')}] * value;
  total2 += a[${aAt('(row + 2.0)')}] * value;
  total3 += a[${aAt('(row + 3.0)')}] * value;
}
return [total0, total1, total2, total3];
`,
      ),
      output: [(M / 4) * N],
    },
    [a, b],
    [M / 4, N, 4],
    'float32',
  );
  backend.flattenComponents(packed);
  const layout = layoutOf([M, N]);
  const ordered = backend.run(
    {
      name: 'BatchMatMulOrder',
      source: kernelSource(
        ['packed'],
        `${layout.coordinates}const block = Math.floor((c0 + 0.5) / 4.0);
return packed[(block * ${float(N)} + c1) * 4.0 + (c0 - block * 4.0)];
`,
      ),
      output: layout.output,
    },
    [packed],
    [M, N],
    'float32',
  );
  backend.disposeData(packed);
  return ordered;
}
