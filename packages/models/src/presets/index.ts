// Gemma presets: the built-in registry, parameter counts, and resolving preset handles to files.
export { gemmaParameterCount, type GemmaArchitecture } from './parameter-count.js';
export {
  gemmaPresetNames,
  gemmaPresets,
  getGemmaPreset,
  isGemmaPresetName,
  type GemmaPreset,
  type GemmaPresetConfig,
} from './gemma-presets.js';
