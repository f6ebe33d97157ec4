// @tensorzoo/models: GemmaBackbone (Gemma 1 and 2), presets and checkpoint loading, the
// SentencePiece tokenizer, GemmaCausalLM with cached generation, and the distribution API.
export * from './gemma/index.js';
export * from './generation/index.js';
export * from './training/index.js';
export * from './distribution/index.js';
export * from './presets/index.js';
export * from './tokenizer/index.js';
export * as io from './io/index.js';
// Random presets of real architectures (tensorzoo init --random); exported here, not from
// presets/index.ts, because it reads the embedded model's vocabulary through gemma/.
export { writeRandomPreset, type RandomPresetOptions, type RandomPresetResult } from './presets/random-preset.js';
export { padSentencePieceModel } from './presets/padded-vocabulary.js';
// Export to GGUF (llama.cpp, ollama) and to a Hugging Face folder (tensorzoo export).
export { exportPreset, openExportSource, type ExportPresetOptions } from './presets/export-preset.js';
export { exportGemmaToGguf, planGemmaGguf, type GgufExportType } from './io/gguf-export.js';
export { exportGemmaToHuggingFace, huggingFaceConfig, type GemmaExportSource } from './io/hf-export.js';
export { writeGguf, type GgufTensor, type WriteGgufOptions } from './io/gguf-write.js';
// Presets over HTTP into memory (browsers, workers; http(s) URLs anywhere), kept in the Cache API.
export { clearPresetCache, defaultPresetCacheName, fetchPresetFiles, isFetchedPreset, presetBaseUrl, type FetchedPreset, type FetchPresetOptions, type FetchProgress } from './presets/browser-fetch.js';
export { fetchGemmaPreset, gemmaBackboneFromFiles, gemmaTokenizerFromFiles, preprocessorConfigFromFiles, type FetchedLoadOptions } from './presets/preset-from-files.js';
// Model-parallel execution (fromPreset({ distribution })): Node worker threads, so only the types
// are exported here (a browser bundle stays free of node:worker_threads); the loader imports it on demand.
export type { ParallelGemmaBackbone, ParallelLoadOptions, ShardPlan, VariablePlacement } from './parallel/index.js';
