// LoRA on a quantized backbone, as Keras allows it (`enable_lora` after `quantize`): the int8 /
// packed int4 base stays frozen and bit-identical, `fit` trains only the float factors and lowers
// the loss, and the `.lora.h5` file reloads into a freshly quantized model with the same logits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { Adam, setRandomSeed } from '@tensorzoo/layers';
import { GemmaCausalLM, causalLMLoss, trainingRows } from '@tensorzoo/models';
import { describeBackends } from '../backends.js';
import { fixture } from '../io/helpers.js';

const text = 'the quick brown fox jumps over the lazy dog';
const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-quant-lora-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

for (const { preset, mode } of [
  { preset: 'keras_gemma2_quant_int8', mode: 'int8' },
  { preset: 'keras_gemma2_quant_int4', mode: 'int4' },
] as const)
  describeBackends(`LoRA on the quantized ${preset}`, (backend) => {
    test('frozen quantized base, fit trains the factors, .lora.h5 round trip', async () => {
      const model = await GemmaCausalLM.fromPreset(fixture(preset));
      const fresh = await GemmaCausalLM.fromPreset(fixture(preset));
      try {
        const backbone = model.backbone;
        setRandomSeed(7);
        backbone.enableLora(4);
        expect(backbone.trainableWeights.map((variable) => variable.path)).toEqual(
          [0, 1, 2].flatMap((block) => ['query', 'value'].flatMap((name) => [`decoder_block_${block}/attention/${name}/lora_kernel_a`, `decoder_block_${block}/attention/${name}/lora_kernel_b`])),
        );
        const frozen = backbone.nonTrainableWeights;
        expect(frozen.filter((variable) => variable.dtype === 'int8').length).toBeGreaterThan(0);
        const frozenBits = frozen.map((variable) => Array.from(variable.value.rawDataSync() as ArrayLike<number>));

        const rows = trainingRows(text, model.preprocessor, 12);
        const evaluate = () => {
          const loss = causalLMLoss(backbone, rows, false);
          const value = loss.dataSync()[0]!;
          loss.dispose();
          return value;
        };
        const initial = evaluate();
        const optimizer = new Adam({ learningRate: 5e-2 });
        const history = await model.fit(text, { steps: 6, sequenceLength: 12, optimizer });
        optimizer.dispose();
        const final = evaluate();
        expect(history.loss).toHaveLength(6);
        expect(final, `[${backend}] ${mode} loss ${initial} → ${final}`).toBeLessThan(initial);
        frozen.forEach((variable, index) => expect(Array.from(variable.value.rawDataSync() as ArrayLike<number>), variable.path).toEqual(frozenBits[index]));

        const file = join(folder, `${preset}-${backend}.lora.h5`);
        await backbone.saveLoraWeights(file);
        await fresh.backbone.loadLoraWeights(file);
        const expected = tz.tidy(() => model.call(rows.x));
        const actual = tz.tidy(() => fresh.call(rows.x));
        expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
        expected.dispose();
        actual.dispose();
      } finally {
        model.backbone.dispose();
        fresh.backbone.dispose();
      }
    });
  });
