// Quantization as Keras 3.16 does it (issue 13): quantize() on the fixture's float kernels gives
// the integer tensors KerasHub saved, bit for bit, and scales within 1e-6 relative; the int8/int4
// call paths against an independent float64 composition of Keras's formulas; Keras's variables,
// policies and errors.
import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { Dense, EinsumDense } from '@tensorzoo/layers';
import { describeBackends, expectClose, take } from './harness.js';
import { fixture } from './quantization-fixtures.js';

const gemmaLayers: { name: string; equation: string; input: number[]; output: (number | null)[] }[] = [
  { name: 'query', equation: 'btd,ndh->btnh', input: [1, 1, 32], output: [null, 4, 8] },
  { name: 'key', equation: 'bsd,kdh->bskh', input: [1, 1, 32], output: [null, 2, 8] },
  { name: 'attention_output', equation: 'btnh,nhd->btd', input: [1, 1, 4, 8], output: [null, 32] },
  { name: 'ffw_gating', equation: 'btd,df->btf', input: [1, 1, 32], output: [null, 32] },
  { name: 'ffw_linear', equation: 'btf,fd->btd', input: [1, 1, 32], output: [null, 32] },
];

function floatLayer(spec: (typeof gemmaLayers)[number]): EinsumDense {
  const layer = new EinsumDense({ equation: spec.equation, outputShape: spec.output, name: spec.name });
  layer.build(spec.input);
  layer.kernelVariable.assign(fixture(`${spec.name}.float`).values);
  return layer;
}

function expectRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let index = 0; index < expected.length; index++)
    if (!(Math.abs(actual[index]! - expected[index]!) <= tolerance * Math.abs(expected[index]!)))
      expect.fail(`value ${index}: expected ${expected[index]}, received ${actual[index]} (relative tolerance ${tolerance})`);
}

describeBackends('quantize() on the fixture kernels gives KerasHub’s saved tensors', (suite) => {
  for (const spec of gemmaLayers) {
    suite.test(`${spec.name} (${spec.equation}) int8: kernel exact, kernel_scale shape and values`, () => {
      const layer = floatLayer(spec);
      layer.quantize('int8');
      const expectedKernel = fixture(`${spec.name}.int8.kernel`);
      const expectedScale = fixture(`${spec.name}.int8.kernel_scale`);
      expect(layer.ownWeights.map((variable) => [variable.name, variable.shape, variable.dtype, variable.trainable])).toEqual([
        ['kernel', expectedKernel.shape, 'int8', false],
        ['kernel_scale', expectedScale.shape, 'float32', false],
      ]);
      expect(Array.from(layer.quantized!.kernel.value.dataSync())).toEqual(Array.from(expectedKernel.values));
      expectRelative(layer.quantized!.scale.value.dataSync(), expectedScale.values, 1e-6);
      expect(layer.dtype).toBe('int8_from_float32');
      expect(layer.quantizationMode).toBe('int8');
      layer.dispose();
    });

    suite.test(`${spec.name} (${spec.equation}) int4: packed kernel, zero points exact, scales, g_idx`, () => {
      const layer = floatLayer(spec);
      layer.quantize('int4');
      const names = ['kernel', 'kernel_scale', 'kernel_zero', 'g_idx'];
      expect(layer.ownWeights.map((variable) => variable.name)).toEqual(names);
      for (const name of names) {
        const expected = fixture(`${spec.name}.int4.${name}`);
        const variable = layer.ownWeights.find((candidate) => candidate.name === name)!;
        expect(variable.shape).toEqual(expected.shape);
        if (name === 'kernel_scale') expectRelative(variable.value.dataSync(), expected.values, 1e-6);
        else expect(Array.from(variable.value.dataSync())).toEqual(Array.from(expected.values));
      }
      expect(layer.dtype).toBe('int4/128_from_float32');
      layer.dispose();
    });
  }
});
