// Docs example (gemma.md): LoRA fine-tuning of the embedded model with GemmaCausalLM.fit, then
// saving the adapter. A few steps on two short texts — a real run uses more data and steps.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const adapterFile = join(mkdtempSync(join(tmpdir(), 'tensorzoo-docs-')), 'tuned.lora.h5');

// #region usage
import { Adam } from '@tensorzoo/layers';
import { GemmaCausalLM } from '@tensorzoo/models';

const model = await GemmaCausalLM.fromPreset();
model.backbone.enableLora(4); // only the LoRA factors are trainable

const texts = ['def square(x):\n    return x * x\n', 'def cube(x):\n    return x * x * x\n'];
const history = await model.fit(texts, {
  steps: 4,
  batchSize: 2,
  sequenceLength: 24,
  optimizer: new Adam({ learningRate: 1e-2 }),
  seed: 0,
  onStep: ({ step, loss }) => console.log(`step ${step}: loss ${loss.toFixed(3)}`),
});
console.log(history.loss); // one loss per step

await model.backbone.saveLoraWeights(adapterFile); // a path ending in .lora.h5; load it later with loadLoraWeights or `--lora`
// #endregion usage

export { history, adapterFile };
