// @tensorzoo/layers: Keras 3 layers as KerasHub's Gemma uses them, with Keras's LoRA.
export { applyActivation, getActivation, activationNames, type ActivationFunction, type ActivationIdentifier, type ActivationName } from './activations.js';
export { Dense, type DenseConfig } from './dense.js';
export { Dropout, type DropoutConfig } from './dropout.js';
export {
  DTypePolicy, DTypePolicyMap, Int4DTypePolicy, QuantizedDTypePolicy, SUPPORTED_QUANTIZATION_MODES, deserializeDTypePolicy, getDTypePolicy, int4BlockSizeOf, promoteFloat,
  type DTypePolicyLike, type DTypePolicyName, type FloatDType, type QuantizationMode, type SerializedDTypePolicy,
} from './dtype-policy.js';
export {
  KERAS_EPSILON, absMaxQuantizeGroupedHost, absMaxQuantizeHost, packInt4Host, roundHalfToEven, unpackInt4Host,
  type HostAbsMaxQuantized, type HostGroupedQuantized, type MatrixLayout,
} from './quantizers.js';
export { analyzeQuantization, kernelScaleShape, planProduct, type ProductPlan, type QuantizationInfo } from './quantization-analysis.js';
export { dequantizeKernelHost, isQuantizableLayer, quantizeKernelValues, type QuantizableLayer, type QuantizationConfig, type QuantizedKernel, type QuantizedValues } from './quantized-kernel.js';
export { dequantizeTableHost, quantizeTableValues, type QuantizedTable, type QuantizedTableValues } from './quantized-embedding.js';
export { analyzeEinsum, splitEinsumEquation, type EinsumAnalysis } from './einsum-analysis.js';
export { EinsumDense, type EinsumDenseConfig } from './einsum-dense.js';
export { Embedding, type EmbeddingConfig } from './embedding.js';
export * as initializers from './initializers.js';
export {
  Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Initializer, LecunNormal, LecunUniform, Ones, RandomNormal, RandomUniform,
  TruncatedNormal, VarianceScaling, Zeros, computeFans, type InitializerIdentifier, type SerializedInitializer,
} from './initializers.js';
export { Layer, Model, knownDimension, type AddWeightOptions, type CallOptions, type InputShape, type LayerConfig, type Shape } from './layer.js';
export { DerivedTensorCache, LoraState, effectiveWeight, loadMergedWeights, type EnableLoraOptions } from './lora.js';
export { resetLayerNames, toSnakeCase, uniqueName } from './naming.js';
export { SeedStream, drawSeed, setRandomSeed } from './random.js';
export { ReversibleEmbedding, type ReversibleCallOptions, type ReversibleEmbeddingConfig, type ReversibleQuantizationConfig } from './reversible-embedding.js';
export { RMSNormalization, type RMSNormalizationConfig } from './rms-normalization.js';
export { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from './serialization.js';
export { Softmax, type SoftmaxCallOptions, type SoftmaxConfig } from './softmax.js';
export { Variable, type VariableOptions, type VariableOwner } from './variable.js';
export { SparseCategoricalCrossentropy, sparseCategoricalCrossentropy, type LossReduction, type SparseCategoricalCrossentropyOptions } from './losses.js';
export * from './optimizers/index.js';
