// Lifetime and the engine: dispose, tidy, keep, memory, reshape views sharing data, kernel
// listeners (the hook autodiff will use), backend selection and missing-kernel errors.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectError, expectTensor, withLeakCheck } from './harness.js';

describeBackends('memory', ({ test, backend }) => {
  test('memory counts live tensors and dispose releases them', () => {
    const before = tz.memory().numTensors;
    const x = tz.tensor([1, 2, 3]);
    const y = tz.add(x, 1);
    expect(tz.memory().numTensors).toBe(before + 2);
    expect(tz.memory().backend).toBe(backend);
    x.dispose();
    y.dispose();
    expect(tz.memory().numTensors).toBe(before);
  });

  test('dispose is idempotent and isDisposed reports it', () => {
    const x = tz.tensor([1]);
    x.dispose();
    x.dispose();
    expect(x.isDisposed).toBe(true);
  });

  test('using a disposed tensor in an op names the op', () => {
    const x = tz.tensor([1, 2]);
    x.dispose();
    expectError(() => tz.exp(x), 'exp', 'used after dispose()');
    expectError(() => tz.reshape(x, [2, 1]), 'reshape', 'used after dispose()');
  });

  test('tidy frees intermediates and keeps the returned tensor', async () => {
    const before = tz.memory().numTensors;
    const x = tz.tensor([1, 2, 3]);
    const out = tz.tidy(() => tz.mul(tz.add(x, 1), tz.sub(x, 1)));
    expect(tz.memory().numTensors).toBe(before + 2);
    expect(x.isDisposed).toBe(false);
    await expectTensor(out, [3], 'float32', [0, 3, 8]);
    x.dispose();
  });

  test('tidy keeps every tensor of a returned array or object', async () => {
    const before = tz.memory().numTensors;
    const result = tz.tidy(() => {
      const x = tz.tensor([1, 2]);
      return { doubled: tz.mul(x, 2), list: [tz.add(x, 1), tz.neg(x)], label: 'kept' };
    });
    expect(tz.memory().numTensors).toBe(before + 3);
    expect(result.label).toBe('kept');
    await expectTensor(result.doubled, [2], 'float32', [2, 4]);
    await expectTensor(result.list[0]!, [2], 'float32', [2, 3]);
    await expectTensor(result.list[1]!, [2], 'float32', [-1, -2]);
  });

  test('nested tidy hands returned tensors to the outer scope', async () => {
    const before = tz.memory().numTensors;
    const out = tz.tidy(() => {
      const inner = tz.tidy(() => tz.add(tz.tensor([1]), tz.tensor([2])));
      expect(tz.memory().numTensors).toBe(before + 1);
      return tz.mul(inner, 10);
    });
    expect(tz.memory().numTensors).toBe(before + 1);
    await expectTensor(out, [1], 'float32', [30]);
  });

  test('keep survives tidy', async () => {
    let kept: tz.Tensor | undefined;
    tz.tidy(() => {
      kept = tz.keep(tz.tensor([5]));
      tz.tensor([6]);
    });
    expect(kept!.isDisposed).toBe(false);
    await expectTensor(kept!, [1], 'float32', [5]);
  });

  test('tidy disposes its tensors when the function throws', () => {
    const before = tz.memory().numTensors;
    expect(() =>
      tz.tidy(() => {
        tz.tensor([1, 2]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tz.memory().numTensors).toBe(before);
  });

  test('tidy rejects an async function', () => {
    expectError(() => tz.tidy((async () => tz.tensor([1])) as unknown as () => tz.Tensor), 'tidy', "argument 'fn'", 'synchronous', 'Promise');
  });

  test('tz.dispose walks arrays and objects', () => {
    const before = tz.memory().numTensors;
    const a = tz.tensor([1]);
    const b = tz.tensor([2]);
    const c = tz.tensor([3]);
    tz.dispose({ first: a, rest: [b, { c }] } as unknown as tz.TensorContainer);
    expect(tz.memory().numTensors).toBe(before);
  });

  test('reshape shares data: the data lives until the last view is disposed', async () => {
    const dataBefore = tz.memory().numDataIds;
    const x = tz.tensor([1, 2, 3, 4]);
    const view = tz.reshape(x, [2, 2]);
    expect(tz.memory().numDataIds).toBe(dataBefore + 1);
    x.dispose();
    expect(tz.memory().numDataIds).toBe(dataBefore + 1);
    await expectTensor(view, [2, 2], 'float32', [1, 2, 3, 4]);
    expect(tz.memory().numDataIds).toBe(dataBefore);
  });

  test('a view of a tidy intermediate outlives the scope', async () => {
    const out = tz.tidy(() => tz.reshape(tz.add(tz.tensor([1, 2, 3, 4]), 1), [2, 2]));
    await expectTensor(out, [2, 2], 'float32', [2, 3, 4, 5]);
  });

  test('a kernel listener sees every kernel with its inputs, attrs and outputs', async () => {
    const records: tz.KernelRecord[] = [];
    const remove = tz.engine.addKernelListener((record) => records.push(record));
    const x = tz.tensor([[1, 2], [3, 4]]);
    const y = tz.transpose(x);
    const z = tz.add(y, x);
    remove();
    tz.exp(x).dispose();
    expect(records.map((record) => record.kernelName)).toEqual(['Transpose', 'Add']);
    expect(records[0]!.inputs.x).toBe(x);
    expect(records[0]!.attrs).toEqual({ perm: [1, 0] });
    expect(records[0]!.outputs).toEqual([y]);
    expect(records[1]!.outputs).toEqual([z]);
    x.dispose();
    y.dispose();
    await expectTensor(z, [2, 2], 'float32', [2, 5, 5, 8]);
  });

  test('a failing kernel does not leak the decoded copies of its storage-dtype inputs', async () => {
    const table = tz.tensor([1, 2, 3], [3], 'bfloat16');
    const ids = tz.tensor([5], [1], 'int32');
    await withLeakCheck(() => expectError(() => tz.gather(table, ids), 'gather', "argument 'indices'", '5'));
    tz.dispose([table, ids]);
  });

  test('a tensor made on the reference backend moves to the active backend on first use', async () => {
    await tz.setBackend('reference');
    const x = tz.tensor([1, 2, 3]);
    const view = tz.reshape(x, [3, 1]);
    await tz.setBackend(backend);
    await expectTensor(tz.add(x, 1), [3], 'float32', [2, 3, 4]);
    expect(x.backendName).toBe(backend);
    // The view shares the record, so it moved too.
    expect(view.backendName).toBe(backend);
    await expectTensor(view, [3, 1], 'float32', [1, 2, 3]);
    x.dispose();
  });

  test('getBackend reports the active backend', () => {
    expect(tz.getBackend()).toBe(backend);
    expect(tz.engine.registeredBackends()).toContain(backend);
  });
});

describeBackends('engine errors', ({ test, backend }) => {
  test('setBackend with an unknown name lists the registered ones', async () => {
    await expect(tz.setBackend('no-such-backend')).rejects.toThrow(/setBackend: argument 'name' expected one of \[.*reference.*\].*received "no-such-backend"/);
    expect(tz.getBackend()).toBe(backend);
  });

  test('a missing kernel names the kernel and the backend', () => {
    const saved = tz.getKernel('Erf', backend)!;
    tz.unregisterKernel('Erf', backend);
    try {
      const x = tz.tensor([0.5]);
      expect(() => tz.erf(x)).toThrow(`kernel 'Erf' is not registered for backend '${backend}'`);
      x.dispose();
    } finally {
      tz.registerKernel(saved);
    }
  });

  test('registering a kernel twice is an error', () => {
    const existing = tz.getKernel('Add', backend)!;
    expect(() => tz.registerKernel(existing)).toThrow(`registerKernel: kernel 'Add' is already registered for backend '${backend}'`);
  });

  test('every primitive kernel is registered', () => {
    const missing = tz.primitiveKernelNames.filter((name) => !tz.hasKernel(name, backend));
    expect(missing).toEqual([]);
  });
});
