// Checkpoint files for @tensorzoo/models, framework-neutral: raw typed arrays in, raw typed
// arrays out. Keras 3 weights (`model.weights.h5`, sharded `model.weights.json`), Hugging Face
// safetensors (single or sharded), KerasHub `.lora.h5` files and JSON configs, plus the mapping
// between GemmaBackbone variable paths and KerasHub's HDF5 group layout.

export { CheckpointError, type CheckpointErrorLocation } from './errors.js';
export {
  STORED_DTYPES,
  bfloat16BitsToFloat32,
  checkExpectedShape,
  checkStoredTensor,
  dtypeByteSize,
  elementCount,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  isStoredDType,
  storedByteLength,
  storedDataBytes,
  storedDataFromBytes,
  toFloat32,
  type StoredData,
  type StoredDataByDType,
  type StoredDType,
  type StoredTensor,
  type TensorExpectation,
} from './stored-tensor.js';
export { checkShardName, readJson, writeFileAtomic, writeJson } from './files.js';
export {
  KERAS_SHARDED_INDEX_FILE,
  KERAS_WEIGHTS_FILE,
  parseKerasShardedIndex,
  readKerasWeights,
  readKerasWeightsFromBytes,
  type KerasShardedIndex,
  type KerasTensorInfo,
  type KerasWeights,
} from './keras-weights-read.js';
export {
  writeKerasWeights,
  writeKerasWeightsFile,
  writeKerasWeightsToBytes,
  type KerasWeightEntry,
  type WriteKerasWeightsOptions,
} from './keras-weights-write.js';
export {
  gemmaBlockGroup,
  gemmaH5GroupForLayer,
  gemmaH5PathFor,
  gemmaKerasGroups,
  gemmaLayerGroups,
  gemmaLayerWeightEntries,
  gemmaVariablePathFor,
  gemmaVariablePaths,
  gemmaWeightEntries,
  type GemmaLayerGroup,
  type GemmaLayoutConfig,
  type GemmaNamingOptions,
  type KerasGroup,
} from './gemma-h5-layout.js';
export {
  readGemmaKerasWeights,
  readGemmaKerasWeightsFromBytes,
  writeGemmaKerasLayerWeights,
  writeGemmaKerasLayerWeightsToBytes,
  writeGemmaKerasWeights,
  writeGemmaKerasWeightsToBytes,
  type ReadGemmaWeightsOptions,
  type WriteGemmaWeightsOptions,
} from './gemma-weights.js';
export {
  SAFETENSORS_FILE,
  SAFETENSORS_INDEX_FILE,
  readSafetensors,
  readSafetensorsFromBytes,
  type SafetensorsTensorInfo,
  type SafetensorsWeights,
} from './safetensors-read.js';
export { writeSafetensors, writeSafetensorsSharded, writeSafetensorsToBytes, type WriteShardedSafetensorsOptions } from './safetensors-write.js';
export { SAFETENSORS_DTYPES } from './safetensors-format.js';
export {
  LORA_FILE_SUFFIX,
  readLoraWeights,
  readLoraWeightsFromBytes,
  writeLoraWeights,
  writeLoraWeightsToBytes,
  type LoraFactors,
  type LoraWeights,
} from './lora-weights.js';
