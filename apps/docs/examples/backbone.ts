// Docs example (gemma.md, packages/models.md): GemmaBackbone from a KerasHub preset folder — here
// the tiny Gemma preset that the models package tests against.
import { fileURLToPath } from 'node:url';

const presetFolder = fileURLToPath(new URL('../../../packages/models/test/fixtures/keras_gemma_tiny', import.meta.url));

// #region usage
import { GemmaBackbone } from '@tensorzoo/models';

// presetFolder: a KerasHub preset folder (here packages/models/test/fixtures/keras_gemma_tiny).

const backbone = await GemmaBackbone.fromPreset(presetFolder); // a folder, a built-in name, hf:// or kaggle://
console.log(backbone.config.numLayers, backbone.config.hiddenDim, backbone.countParams());

const hidden = backbone.apply({ tokenIds: [[2, 10, 11, 12]], paddingMask: [[1, 1, 1, 1]] });
const logits = backbone.logits(hidden); // the tied embedding, reversed
console.log(hidden.shape, logits.shape); // [1, 4, hiddenDim] [1, 4, vocabularySize]
// #endregion usage

export { backbone, hidden, logits };
