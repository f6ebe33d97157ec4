// The SentencePiece tokenizer (a TypeScript port of the library's encoding and decoding) and
// KerasHub's GemmaTokenizer built on it.
export { SentencePieceProcessor, type TextInput } from './sentencepiece-processor.js';
export {
  parseModelProto,
  PieceType,
  ModelType,
  type SentencePieceModelProto,
  type SentencePieceEntry,
  type TrainerSpec,
  type NormalizerSpec,
  type PieceTypeValue,
  type ModelTypeValue,
} from './model-proto.js';
export {
  GemmaTokenizer,
  GEMMA_VOCABULARY_ASSET,
  type GemmaTokenizerOptions,
  type GemmaTokenizerConfig,
} from './gemma-tokenizer.js';
