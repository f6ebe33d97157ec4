// LoRA fine-tuning of the embedded demo model (tinycode-gemma2-6m) on one short text: within 100
// Adam steps (rank 4, sequence length 16) the loss on that text falls to at most half of its
// starting value, every base weight stays bit-identical, nothing leaks, and the saved .lora.h5
// reloads into a fresh model with the fine-tuned logits. Stops as soon as the target is reached.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { Adam, setRandomSeed } from '@tensorzoo/layers';
import { GemmaCausalLM, causalLMLoss, trainingRows, type FitStep } from '@tensorzoo/models';
import { activateBackend } from '../backends.js';
import { trainingBackends } from './training-backends.js';

const text = 'tensorzoo fine-tunes gemma in typescript';
const sequenceLength = 16;

function bits(values: ArrayLike<number>): number[] {
  return Array.from(values);
}

for (const backend of await trainingBackends())
  describe(`LoRA fine-tuning of the demo model [${backend}]`, () => {
    let model: GemmaCausalLM;
    const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-lora-'));
    beforeAll(async () => {
      await activateBackend(backend);
      model = await GemmaCausalLM.fromPreset();
    });
    afterAll(() => {
      model?.backbone.dispose();
      rmSync(folder, { recursive: true, force: true });
    });

    test('halves the loss on the text within 100 steps; base weights bit-identical; .lora.h5 round trip', async () => {
      const backbone = model.backbone;
      setRandomSeed(2024);
      backbone.enableLora(4);
      const rows = trainingRows(text, model.preprocessor, sequenceLength);
      const evaluate = () => {
        const loss = causalLMLoss(backbone, rows, false);
        const value = loss.dataSync()[0]!;
        loss.dispose();
        return value;
      };
      const frozen = backbone.nonTrainableWeights;
      const frozenBits = frozen.map((variable) => bits(variable.value.rawDataSync()));
      const initial = evaluate();
      const before = tz.memory().numTensors;

      const optimizer = new Adam({ learningRate: 1e-2 });
      const controller = new AbortController();
      const steps: FitStep[] = [];
      const history = await model.fit(text, {
        steps: 100,
        sequenceLength,
        optimizer,
        signal: controller.signal,
        onStep: (step) => {
          steps.push(step);
          // The reported loss is the one before the step's update: stop once it is well under half.
          if (step.loss <= 0.45 * initial) controller.abort();
        },
      });
      const final = evaluate();
      optimizer.dispose();
      expect(tz.memory().numTensors, 'live tensors after fit (optimizer disposed)').toBe(before);

      expect(history.steps).toBeLessThanOrEqual(100);
      expect(history.loss).toEqual(steps.map((step) => step.loss));
      expect(steps[0]!.loss).toBeCloseTo(initial, 4);
      expect(steps.map((step) => step.step)).toEqual(steps.map((_, index) => index + 1));
      expect(final, `loss ${initial} → ${final} after ${history.steps} steps`).toBeLessThanOrEqual(initial / 2);
      frozen.forEach((variable, index) => expect(bits(variable.value.rawDataSync()), variable.path).toEqual(frozenBits[index]));
      expect(backbone.trainableWeights.every((variable) => variable.name.startsWith('lora_kernel_'))).toBe(true);

      // Save, reload into a fresh model (loadLoraWeights enables LoRA itself), same logits.
      const file = join(folder, 'demo.lora.h5');
      await backbone.saveLoraWeights(file);
      const logits = model.call(rows.x);
      const fresh = await GemmaCausalLM.fromPreset();
      try {
        await fresh.backbone.loadLoraWeights(file);
        const reloaded = fresh.call(rows.x);
        expect(Array.from(await reloaded.data())).toEqual(Array.from(await logits.data()));
        reloaded.dispose();
      } finally {
        fresh.backbone.dispose();
      }
      logits.dispose();
      console.log(`[${backend}] loss ${initial.toFixed(4)} → ${final.toFixed(4)} in ${history.steps} steps`);
    }, 300_000);
  });
