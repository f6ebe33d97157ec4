// Docs example (quantization.md): Keras's Model.quantize on a Gemma model, saving the quantized
// preset, and reading it back (which KerasHub 0.32 itself cannot). The model is the tiny Gemma 2
// test preset; the int8 output agrees with Keras's own quantized model to ~1e-6.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const floatPreset = fileURLToPath(new URL('../../../packages/models/test/fixtures/keras_gemma2_quant', import.meta.url));
const outputFolder = join(mkdtempSync(join(tmpdir(), 'tensorzoo-docs-')), 'gemma2-int8');

// #region usage
import { GemmaCausalLM } from '@tensorzoo/models';

// floatPreset: a float32 KerasHub preset; outputFolder: where the int8 preset goes.

const model = await GemmaCausalLM.fromPreset(floatPreset);
model.quantize('int8'); // or 'int4' (groups of 128 with zero points, Keras's default)
console.log(model.backbone.quantizedLayers['decoder_block_0/attention/query']); // 'int8'

// A KerasHub preset: int8 datasets and a DTypePolicyMap in config.json, written atomically.
await model.saveToPreset(outputFolder);

// Reading it back builds the quantized layers first, then loads the int8 tensors as they are.
const reloaded = await GemmaCausalLM.fromPreset(outputFolder);
const text = reloaded.generate('the quick brown fox', { maxLength: 12 });

// Or quantize a float preset while loading it:
const int4 = await GemmaCausalLM.fromPreset(floatPreset, { quantize: 'int4' });
// #endregion usage

export { model, reloaded, int4, text, outputFolder };
