// Docs example (gemma.md): LoRA on a GemmaBackbone — enable, save the adapter, load it into a
// fresh copy of the model. The base model is the tiny test preset.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const presetFolder = fileURLToPath(new URL('../../../packages/models/test/fixtures/keras_gemma_tiny', import.meta.url));
const adapterFile = join(mkdtempSync(join(tmpdir(), 'tensorzoo-docs-')), 'adapter.lora.h5');

// #region usage
import { GemmaBackbone } from '@tensorzoo/models';

// presetFolder: the base model's preset; adapterFile: a path ending in .lora.h5.

const tuned = await GemmaBackbone.fromPreset(presetFolder);
tuned.enableLora(4); // rank 4 on the query and value projections, as KerasHub
console.log(tuned.trainableWeights.length, tuned.weights.length); // only the LoRA factors train

// … train the factors …, then save just the adapter (KerasHub's .lora.h5 format):
await tuned.saveLoraWeights(adapterFile);

// Later: a fresh base model takes the adapter (LoRA is enabled with the saved rank).
const restored = await GemmaBackbone.fromPreset(presetFolder);
await restored.loadLoraWeights(adapterFile);
// #endregion usage

export { tuned, restored, adapterFile };
