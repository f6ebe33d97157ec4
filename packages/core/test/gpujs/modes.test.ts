// Mode selection is explicit: an unknown name or a mode this runtime lacks is an error naming the
// reason, never a quiet switch; GPU.js's CPU modes run only when named, with the same kernels.
import { afterAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { createGpujsBackend, gpujsMode, requestedGpujsMode, setGpujsMode } from '@tensorzoo/core/backends/gpujs';
import { expectParity, floats, Seeded } from './parity.js';

afterAll(() => tz.engine.removeBackend('gpujs'));

describe('gpujs modes', () => {
  test('an unknown mode name is an error listing the modes', () => {
    expect(() => setGpujsMode('metal' as never)).toThrow(/setGpujsMode: argument 'mode': expected one of \[webgl2, webgl, webgpu, headlessgl, webasm, cpu\], received "metal"/);
  });

  test('a browser mode in Node is refused with the reason', async () => {
    await expect(createGpujsBackend('webgl2')).rejects.toThrow(/mode 'webgl2' is not available here: this runtime has no WebGL2 context/);
  });

  test("the Node default is headlessgl unless TENSORZOO_GPUJS_MODE or setGpujsMode says otherwise", () => {
    if (!process.env.TENSORZOO_GPUJS_MODE) expect(requestedGpujsMode()).toBe('headlessgl');
    setGpujsMode('cpu');
    expect(requestedGpujsMode()).toBe('cpu');
  });

  for (const mode of ['cpu', 'webasm'] as const)
    test(`mode '${mode}' (named) runs the same kernels on GPU.js's CPU path`, async () => {
      setGpujsMode(mode);
      await tz.setBackend('gpujs');
      expect(gpujsMode()).toBe(mode);
      const random = new Seeded(21);
      await expectParity('add broadcast', [floats(random, [3, 5]), floats(random, [5])], tz.add);
      await expectParity('matMul', [floats(random, [7, 9]), floats(random, [9, 4])], (a, b) => tz.matMul(a, b), 1e-6, 1e-6);
      await expectParity('softmax', [floats(random, [4, 6])], (x) => tz.softmax(x), 1e-7, 1e-6);
      await expectParity('transpose', [floats(random, [2, 3, 4])], (x) => tz.transpose(x, [2, 0, 1]));
    });
});
