// Generation: the causal LM task, its preprocessor and the samplers.
export { GemmaCausalLM, type GenerateOptions, type GenerateToken, type ScoreOptions } from './gemma-causal-lm.js';
export { GemmaCausalLMPreprocessor, type CausalLMTokenizer, type PackedBatch, type PreprocessorConfig, type TrainingBatch } from './gemma-causal-lm-preprocessor.js';
export { getSampler, GreedySampler, RandomSampler, TopKSampler, TopPSampler, type Sampler, type SamplerName, type SamplerOptions, type SamplerSpec } from './samplers.js';
