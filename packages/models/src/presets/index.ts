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
export {
  parsePresetHandle,
  type HuggingFaceHandle,
  type KaggleHandle,
  type LocalHandle,
  type PresetHandle,
} from './handles.js';
export {
  resolvePreset,
  resolvePresetDirectory,
  type ResolvePresetOptions,
  type ResolvedPreset,
} from './resolve-preset.js';
export type { DownloadProgressEvent } from './download.js';
export { PresetAccessError, PresetDownloadError, PresetError, PresetFileNotFoundError } from './errors.js';
export { completeMarkerName, presetCacheRoot, writeFileAtomic } from './cache.js';
export { presetFormatOf, validateShardName, type PresetFormat } from './preset-files.js';
export { defaultHuggingFaceBaseUrl, defaultKaggleBaseUrl } from './hubs.js';
