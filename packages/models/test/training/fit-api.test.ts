// GemmaCausalLM.fit's contract on a tiny float32 backbone with packed ids (no tokenizer needed):
// the shift of packed rows, step/epoch/batch accounting, that only trainable weights move, the
// abort signal, full fine-tuning, and errors.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { Adam, SGD, setRandomSeed } from '@tensorzoo/layers';
import { GemmaBackbone, GemmaCausalLM, causalLMLoss, shuffledOrder, trainingRows, type FitStep } from '@tensorzoo/models';
import { activateBackend, backendNames } from '../backends.js';

const packed = {
  tokenIds: [[1, 4, 5, 6, 2], [1, 7, 8, 2, 0], [1, 9, 2, 0, 0], [1, 4, 4, 4, 2], [1, 10, 11, 12, 13]],
  paddingMask: [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]],
};

function tinyModel(): GemmaCausalLM {
  setRandomSeed(7);
  return new GemmaCausalLM(new GemmaBackbone({ vocabularySize: 16, numLayers: 1, numQueryHeads: 2, numKeyValueHeads: 1, hiddenDim: 8, intermediateDim: 16, headDim: 4 }));
}

for (const backend of backendNames())
  describe(`GemmaCausalLM.fit [${backend}]`, () => {
    let model: GemmaCausalLM;
    beforeEach(async () => {
      await activateBackend(backend);
      model = tinyModel();
    });
    afterEach(() => model.backbone.dispose());

    test('packed rows are shifted as the preprocessor shifts texts', () => {
      const rows = trainingRows(packed, null, undefined);
      expect(rows.x.tokenIds[1]).toEqual([1, 7, 8, 2]);
      expect(rows.x.paddingMask[1]).toEqual([1, 1, 1, 1]);
      expect(rows.y[1]).toEqual([7, 8, 2, 0]);
      expect(rows.sampleWeight[1]).toEqual([1, 1, 1, 0]);
      expect(shuffledOrder(5, 3)).toEqual(shuffledOrder(5, 3));
      expect([...shuffledOrder(5, 3)].sort()).toEqual([0, 1, 2, 3, 4]);
    });

    test('epochs × ceil(rows / batchSize) steps; steps overrides and cycles; the first loss is the untrained loss', async () => {
      const rows = trainingRows(packed, null, undefined);
      const firstBatch = causalLMLoss(model.backbone, { x: { tokenIds: rows.x.tokenIds.slice(0, 2), paddingMask: rows.x.paddingMask.slice(0, 2) }, y: rows.y.slice(0, 2), sampleWeight: rows.sampleWeight.slice(0, 2) }, false);
      const seen: FitStep[] = [];
      const optimizer = new Adam({ learningRate: 1e-3 });
      const history = await model.fit(packed, { epochs: 2, batchSize: 2, optimizer, shuffle: false, onStep: async (step) => void seen.push(step) });
      expect(history.steps).toBe(6);
      expect(history.epochs).toBe(2);
      expect(seen.map((step) => [step.step, step.epoch, step.tokens])).toEqual([[1, 0, 7], [2, 0, 6], [3, 0, 4], [4, 1, 7], [5, 1, 6], [6, 1, 4]]);
      expect(seen[0]!.loss).toBeCloseTo(firstBatch.dataSync()[0]!, 5);
      expect(seen[0]!.learningRate).toBe(1e-3);
      const cycled = await model.fit(packed, { steps: 4, epochs: 9, batchSize: 3, optimizer });
      expect([cycled.steps, cycled.epochs]).toEqual([4, 2]);
      expect(optimizer.iterations).toBe(10);
      optimizer.dispose();
      firstBatch.dispose();
    });

    test('only trainable weights move: frozen layers keep their exact bits', async () => {
      const backbone = model.backbone;
      backbone.tokenEmbedding.trainable = false;
      const frozen = backbone.nonTrainableWeights;
      expect(frozen.length).toBeGreaterThan(0);
      const bits = frozen.map((variable) => Array.from(variable.value.rawDataSync()));
      const trainable = backbone.trainableWeights;
      const before = trainable.map((variable) => Array.from(variable.numpy()));
      const optimizer = new SGD({ learningRate: 0.1 });
      const history = await model.fit(packed, { steps: 15, batchSize: 5, optimizer });
      optimizer.dispose();
      frozen.forEach((variable, index) => expect(Array.from(variable.value.rawDataSync()), variable.path).toEqual(bits[index]));
      expect(trainable.some((variable, index) => Array.from(variable.numpy()).some((value, at) => value !== before[index]![at]))).toBe(true);
      // Full fine-tuning of the rest lowers the loss on the (single) batch.
      expect(history.loss[14]!).toBeLessThan(history.loss[0]!);
    });

    test('an aborted signal stops after the current step', async () => {
      const controller = new AbortController();
      const optimizer = new SGD({ learningRate: 0.01 });
      const history = await model.fit(packed, { steps: 50, optimizer, signal: controller.signal, onStep: ({ step }) => void (step === 3 && controller.abort()) });
      expect(history.steps).toBe(3);
      optimizer.dispose();
    });

    test('errors name the argument, the expectation and what was received', async () => {
      await expect(model.fit('some text')).rejects.toThrow(/fit: argument 'data' expected packed \{tokenIds, paddingMask\} when no preprocessor is attached/);
      await expect(model.fit(packed, { batchSize: 0 })).rejects.toThrow(/fit: argument 'batchSize' expected a positive integer, received 0/);
      await expect(model.fit({ tokenIds: [[1, 2], [1]] })).rejects.toThrow(/argument 'data' expected rows of equal length \(2\)/);
      await expect(model.fit({ tokenIds: [[1]] })).rejects.toThrow(/expected token rows of at least 2 ids/);
      await expect(model.fit({ tokenIds: [[1, 2]], paddingMask: [[1, 1, 1]] })).rejects.toThrow(/argument 'data.paddingMask' expected the shape of tokenIds \[1, 2\]/);
      model.backbone.trainable = false;
      await expect(model.fit(packed)).rejects.toThrow(/fit: the backbone has no trainable weights \(call backbone.enableLora\(rank\)/);
    });
  });
