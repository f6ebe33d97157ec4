// Generation: the causal LM task, its preprocessor and the samplers.
export { GemmaCausalLM, type GenerateOptions, type GenerateToken, type ScoreOptions } from './gemma-causal-lm.js';
export { GemmaCausalLMPreprocessor, type CausalLMTokenizer, type PackedBatch, type PreprocessorConfig, type TrainingBatch } from './gemma-causal-lm-preprocessor.js';
export { getSampler, GreedySampler, RandomSampler, TopKSampler, TopPSampler, type Sampler, type SamplerName, type SamplerOptions, type SamplerSpec } from './samplers.js';
export {
  ContinuousBatchingEngine, QueueFullError, type BatchingStats, type ContinuousBatchingOptions, type FinishReason, type SequenceHandle, type SequenceRequest,
  type SequenceResult, type SequenceToken,
} from './continuous-batching.js';
export { appendCacheRows, raggedDecodeStep, resizeCacheCapacity, selectCacheRows, type RaggedStepResult } from './ragged-decode.js';
export { endOfTurn, gemmaChatPrompt, startOfTurn, type ChatMessage, type ChatRole } from './chat-template.js';
export { IncrementalDetokenizer, StopStringMatcher, type DetokenizingTokenizer } from './text-stream.js';
