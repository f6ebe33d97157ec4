// Gradients with respect to Variables, through layers, including LoRA factors behind the
// merged-kernel cache (which the tape must see through), against finite differences.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { EinsumDense, Variable, variableGrads } from '@tensorzoo/layers';
import { describeBackends } from '../harness.js';

/** Central differences of `loss` with respect to each entry of `variable`, in float64 on the host. */
function numericGradient(loss: () => number, variable: Variable, step = 1e-2): number[] {
  const base = Float32Array.from(variable.numpy());
  const out: number[] = [];
  for (let index = 0; index < base.length; index++) {
    const plus = base.slice();
    plus[index] = plus[index]! + step;
    variable.assign(plus);
    const up = loss();
    const minus = base.slice();
    minus[index] = minus[index]! - step;
    variable.assign(minus);
    out.push((up - loss()) / (2 * step));
  }
  variable.assign(base);
  return out;
}

describeBackends('variableGrads', (suite) => {
  suite.test('LoRA factors of an EinsumDense: the merged-kernel cache does not hide them', async () => {
    const layer = new EinsumDense({ equation: 'btd,dh->bth', outputShape: [null, 3], name: 'proj' });
    layer.build([1, 2, 4]);
    layer.enableLora(2, { bInitializer: 'glorot_uniform' });
    const input = tz.tensor(Float32Array.from({ length: 8 }, (_, index) => Math.sin(index + 1)), [1, 2, 4]);
    const weights = tz.tensor(Float32Array.from({ length: 6 }, (_, index) => Math.cos(index)), [1, 2, 3]);
    const lossTensor = () => tz.sum(tz.mul(tz.tanh(layer.apply(input) as tz.Tensor), weights));
    const lossValue = () => {
      const value = tz.tidy(lossTensor);
      const number = value.dataSync()[0]!;
      value.dispose();
      return number;
    };
    lossValue(); // fills the cache first: the tape must recompute the merge anyway
    const variables = layer.trainableWeights;
    expect(variables.map((variable) => variable.name)).toEqual(['lora_kernel_a', 'lora_kernel_b']);
    const kernelBefore = Array.from(layer.kernelVariable.numpy());
    const { value, grads } = variableGrads(lossTensor, variables);
    expect((await value.data())[0]).toBeCloseTo(lossValue(), 5);
    for (const [index, variable] of variables.entries()) {
      const analytic = Array.from(await grads[index]!.data());
      const numeric = numericGradient(lossValue, variable);
      analytic.forEach((got, at) => expect(Math.abs(got - numeric[at]!)).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric[at]!)));
    }
    expect(Array.from(layer.kernelVariable.numpy())).toEqual(kernelBefore);
    tz.dispose([value, ...grads, input, weights]);
    layer.dispose();
  });

  suite.test('errors name the argument', () => {
    expect(() => variableGrads(() => tz.scalar(1), [])).toThrow(/variableGrads: argument 'variables' expected a non-empty array of Variables/);
    const ids = new Variable({ name: 'ids', shape: [1], dtype: 'int32', initialValue: [1] });
    expect(() => variableGrads(() => tz.scalar(1), [ids])).toThrow(/argument 'variables\[0\]' expected a float variable, received 'ids' \(int32\)/);
    ids.dispose();
  });
});
