// Optimizers, learning-rate schedules, gradient clipping and Variable gradients.
export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { clipByGlobalNorm, globalNorm } from './clipping.js';
export { Optimizer, type OptimizerOptions } from './optimizer.js';
export { ConstantLearningRate, CosineDecay, LearningRateSchedule, scheduleFromConfig, warmupCosineDecay, type CosineDecayOptions } from './schedules.js';
export { optimizerFromConfig } from './serialization.js';
export { SGD, type SGDOptions } from './sgd.js';
export { variableGrads } from './variable-grads.js';
