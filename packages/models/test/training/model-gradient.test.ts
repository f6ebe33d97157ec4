// Whole-model gradient check: a tiny Gemma 2 backbone (vocab 20, 2 layers, hidden 16, grouped
// query attention, soft caps, sliding window, post norms) in float32, through the logits and the
// padding-masked cross-entropy, against central finite differences for sampled entries of every
// weight; then the same with LoRA on, where only the factors get gradients.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { setRandomSeed, variableGrads, type Variable } from '@tensorzoo/layers';
import { GemmaBackbone, causalLMLoss, type TrainingBatch } from '@tensorzoo/models';
import { activateBackend, backendNames } from '../backends.js';

const batch: TrainingBatch = {
  x: { tokenIds: [[1, 5, 9, 13, 2], [1, 7, 7, 0, 0]], paddingMask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] },
  y: [[5, 9, 13, 2, 0], [7, 7, 2, 0, 0]],
  sampleWeight: [[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]],
};

function lossValue(backbone: GemmaBackbone): number {
  const loss = causalLMLoss(backbone, batch);
  const value = loss.dataSync()[0]!;
  loss.dispose();
  return value;
}

/** Analytic vs central differences (float64 on the host) at `samples` entries of each variable. */
function checkVariables(backbone: GemmaBackbone, variables: Variable[], samples: number): void {
  const { value, grads } = variableGrads(() => causalLMLoss(backbone, batch), variables);
  expect(value.dataSync()[0]).toBeCloseTo(lossValue(backbone), 5);
  const step = 5e-3;
  variables.forEach((variable, index) => {
    const analytic = grads[index]!.dataSync();
    const original = Float32Array.from(variable.numpy());
    // Spread the probes over the variable; the largest-gradient entry is always one of them.
    let largest = 0;
    analytic.forEach((entry, at) => (Math.abs(entry) > Math.abs(analytic[largest]!) ? (largest = at) : 0));
    const probes = new Set([largest, ...Array.from({ length: samples }, (_, k) => Math.floor(((k + 0.5) * original.length) / samples))]);
    for (const at of probes) {
      const perturbed = original.slice();
      perturbed[at] = original[at]! + step;
      variable.assign(perturbed);
      const up = lossValue(backbone);
      perturbed[at] = original[at]! - step;
      variable.assign(perturbed);
      const down = lossValue(backbone);
      variable.assign(original);
      const numeric = (up - down) / (2 * step);
      expect(Math.abs(analytic[at]! - numeric), `${variable.path}[${at}]: analytic ${analytic[at]}, numeric ${numeric}`).toBeLessThan(2e-3 + 3e-2 * Math.abs(numeric));
    }
  });
  tz.dispose([value, ...grads]);
}

for (const backend of backendNames()) describe(`whole-model gradients [${backend}]`, () => {
  let backbone: GemmaBackbone;
  beforeAll(async () => {
    await activateBackend(backend);
    setRandomSeed(1234);
    backbone = new GemmaBackbone({
      vocabularySize: 20, numLayers: 2, numQueryHeads: 2, numKeyValueHeads: 1, hiddenDim: 16, intermediateDim: 32, headDim: 8,
      usePostFfwNorm: true, usePostAttentionNorm: true, attentionLogitSoftCap: 50, finalLogitSoftCap: 30,
      useSlidingWindowAttention: true, slidingWindowSize: 3,
    });
    // RMS scales start at zero; give them values so their gradients are not all alike.
    for (const variable of backbone.weights)
      if (variable.name === 'scale') variable.assign(Float32Array.from({ length: variable.size }, (_, at) => 0.1 * Math.sin(at + variable.path.length)));
  });
  afterAll(() => backbone?.dispose());

  test(`every weight of a tiny Gemma 2 backbone`, () => {
    expect(tz.getBackend()).toBe(backend);
    lossValue(backbone); // layers' caches of derived weights fill on the first forward pass
    const before = tz.memory().numTensors;
    const variables = backbone.trainableWeights;
    expect(variables.length).toBe(backbone.weights.length);
    checkVariables(backbone, variables, 3);
    expect(tz.memory().numTensors).toBe(before);
  });

  test(`with LoRA on, the factors (and only they) are trainable and correct`, () => {
    backbone.enableLora(2);
    // B starts at zeros (so A's gradient is zero); move it off zero to check both.
    for (const variable of backbone.trainableWeights)
      if (variable.name === 'lora_kernel_b') variable.assign(Float32Array.from({ length: variable.size }, (_, at) => 0.05 * Math.cos(at)));
    const variables = backbone.trainableWeights;
    expect(variables.map((variable) => variable.name)).toEqual(Array(4).fill(['lora_kernel_a', 'lora_kernel_b']).flat().slice(0, 8));
    checkVariables(backbone, variables, 2);
  });
});
