// Gemma: backbone, layers, configuration, loading and saving.
export { buildAttentionMasks, type AttentionMasks } from './attention-mask.js';
export { CachedGemmaAttention, type AttentionCallOptions, type GemmaAttentionConfig } from './gemma-attention.js';
export { GemmaBackbone, type CachedForward, type GemmaInputs, type IdsInput } from './gemma-backbone.js';
export {
  fromKerasConfig, gemmaDefaults, queryScale, resolveGemmaConfig, toKerasConfig, type GemmaBackboneConfig, type GemmaDType, type ResolvedGemmaConfig,
} from './gemma-config.js';
export { GemmaDecoderBlock, type GemmaDecoderBlockConfig } from './gemma-decoder-block.js';
export { checkSequenceLength, gemmaContextLength, maxGenerationLength, memoryBudgetBytes } from './input-checks.js';
export { checkGemmaConfigBounds, gemmaConfigBounds } from './config-checks.js';
export { defaultPresetPath, presetFolder, type FromPresetOptions } from './gemma-from-preset.js';
export { convertTransformersConfig, detectPresetFormat, loadGemmaBackboneFromFolder, readKerasBackboneConfig, type LoadOptions, type LoadProgress } from './gemma-loader.js';
export { defaultLoraLayerNames, weightedLayers } from './gemma-lora.js';
export { savedVariables, type SaveToPresetOptions } from './gemma-save.js';
export {
  checkQuantizationMode, gemmaQuantizableLayerPaths, parseKerasDTypePolicyMap, supportedQuantizationModes, toKerasDTypePolicyMap,
  type LayerQuantization, type QuantizationMode, type QuantizeOptions,
} from './gemma-quantization.js';
export { savedLayerValues } from './gemma-save.js';
export { writePresetFolderAtomically } from './preset-directory.js';
export { gemmaPresetWeightMemory, gemmaVariableSpecsWithDTypes, gemmaWeightBytes, variableBytes, type GemmaVariableSpec, type PresetWeightMemory } from './gemma-variable-specs.js';
export { quantizedLayersFor } from './gemma-host-quantize.js';
