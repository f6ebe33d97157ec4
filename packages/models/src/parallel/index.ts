// Model-parallel execution of a GemmaBackbone over wasm shard workers (ModelParallel + getLayoutMap).
export { ParallelGemmaBackbone, type ParallelLoadOptions } from './parallel-backbone.js';
export { placeVariable, planShards, type ShardPlan, type VariablePlacement } from './shard-plan.js';
export { availableMemoryBytes, checkShardMemory, shardMemory, type ShardMemory } from './shard-memory.js';
