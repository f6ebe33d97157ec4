// Docs example (gemma.md): the built-in preset table and preset handles. Nothing is downloaded:
// parsePresetHandle only reads the handle, and presetConfig of a built-in name needs no weights.
// #region usage
import { GemmaBackbone, gemmaPresetNames, getGemmaPreset, parsePresetHandle } from '@tensorzoo/models';

console.log(gemmaPresetNames.slice(0, 3)); // KerasHub's Gemma preset names, e.g. 'gemma_2b_en'
const preset = getGemmaPreset('gemma2_2b_en');
console.log(preset.params, preset.kaggleHandle); // 2614341888 'kaggle://keras/gemma2/keras/gemma2_2b_en/…'

// The four kinds of handle fromPreset accepts:
for (const handle of ['gemma2_2b_en', 'kaggle://keras/gemma/keras/gemma_2b_en/2', 'hf://google/gemma-2-2b', './my-preset'])
  console.log(handle, '→', parsePresetHandle(handle).kind); // kaggle, kaggle, huggingFace, local

// A built-in preset's architecture, without downloading its weights:
const config = await GemmaBackbone.presetConfig('gemma2_2b_en');
console.log(config.numLayers, config.hiddenDim); // 26 2304
// #endregion usage

export { preset, config };
