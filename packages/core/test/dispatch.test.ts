// The dispatch design a GPU backend and autodiff depend on: ops never read data back to the host
// between kernels, and every kernel they run goes through runKernel (so a listener sees it).
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, randomFloatTensor, TestRandom } from './harness.js';

/** Runs `body` while counting host reads (read and readSync) on the active backend. */
function countReads(backend: string, body: () => void): number {
  const instance = tz.engine.findBackend(backend)!;
  const originalRead = instance.read;
  const originalReadSync = instance.readSync;
  let reads = 0;
  instance.read = (dataId) => {
    reads++;
    return originalRead.call(instance, dataId);
  };
  instance.readSync = (dataId) => {
    reads++;
    return originalReadSync.call(instance, dataId);
  };
  try {
    body();
  } finally {
    instance.read = originalRead;
    instance.readSync = originalReadSync;
  }
  return reads;
}

describeBackends('dispatch', ({ test, backend }) => {
  test('a Gemma-like forward step reads nothing back to the host between ops', () => {
    const random = new TestRandom(1);
    const x = randomFloatTensor(random, [1, 4, 8]);
    const scale = randomFloatTensor(random, [8]);
    const query = randomFloatTensor(random, [2, 8, 4]);
    const key = randomFloatTensor(random, [1, 8, 4]);
    const table = randomFloatTensor(random, [10, 8]);
    const ids = tz.tensor([[1, 5, 9, 0]], [1, 4], 'int32');
    const reads = countReads(backend, () => {
      tz.tidy(() => {
        const embedded = tz.mul(tz.gather(table.tensor, ids), Math.sqrt(8));
        const normed = tz.rmsNorm(tz.add(embedded, x.tensor), scale.tensor);
        const q = tz.rotaryEmbedding(tz.einsum('btd,ndh->btnh', normed, query.tensor));
        const k = tz.rotaryEmbedding(tz.einsum('bsd,kdh->bskh', normed, key.tensor), { startIndex: 0 });
        const scores = tz.einsum('btnh,bsnh->bnts', q, tz.concat([k, k], 2));
        const mask = tz.reshape(tz.lowerTriangularMask(4), [1, 1, 4, 4]);
        const probabilities = tz.softmax(tz.mul(scores, 0.5), -1, tz.logicalAnd(mask, true));
        const mixed = tz.matMul(tz.reshape(probabilities, [2, 4, 4]), tz.ones([2, 4, 2]));
        const gated = tz.gelu(tz.interleaveHalves(mixed), true);
        const stats = [tz.sum(gated, [0, 1]), tz.argmax(gated), tz.topK(gated, 2).values, tz.cumsum(gated, 1), tz.logSoftmax(gated)];
        return [tz.where(tz.greater(stats[0]!, 0), stats[0]!, 0), tz.split(tz.transpose(gated), 2)[0]!, tz.slice(stats[3]!, [0, 1], [1, -1])];
      }).forEach((tensor) => tensor.dispose());
    });
    expect(reads, 'host reads during the ops').toBe(0);
    tz.dispose([x.tensor, scale.tensor, query.tensor, key.tensor, table.tensor, ids]);
  });

  test('every kernel an op runs goes through runKernel, with inputs and outputs as tensors', () => {
    const records: tz.KernelRecord[] = [];
    const stop = tz.engine.addKernelListener((record) => records.push(record));
    const a = tz.tensor([[1, 2], [3, 4]]);
    const b = tz.tensor([[5, 6], [7, 8]]);
    try {
      tz.tidy(() => tz.softmax(tz.einsum('ij,jk->ik', a, b))).dispose();
    } finally {
      stop();
      tz.dispose([a, b]);
    }
        expect(records.some((record) => record.kernelName === 'BatchMatMul')).toBe(true);
    for (const record of records) {
      for (const input of Object.values(record.inputs)) expect(input).toBeInstanceOf(tz.Tensor);
      for (const output of record.outputs) expect(output).toBeInstanceOf(tz.Tensor);
    }
  });
});
