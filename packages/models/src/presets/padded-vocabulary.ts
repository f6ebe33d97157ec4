// The tokenizer of a random preset. A real Gemma SentencePiece model (256,000 pieces) cannot be
// had offline, so a random preset carries the embedded model's vocabulary (tinycode-gemma2-6m's
// `gemma_like_vocab`: 2,048 byte-fallback BPE pieces, <pad> 0, <eos> 1, <bos> 2, the real Gemma
// special ids) padded to the architecture's vocabulary size with pieces `[PAD<id>]` of type
// UNUSED. That is the padding llama.cpp's converter itself writes when a model's embedding has
// more rows than its tokenizer has pieces (`[PAD{i}]`, UNUSED, score -10000), so the exported GGUF
// matches what llama.cpp would produce. UNUSED pieces are never produced when encoding text, so
// every text tokenizes exactly as with the embedded vocabulary; decoding a padding id gives its
// `[PAD<id>]` text. Token ids therefore mean nothing beyond 2,048, and a random model samples
// them freely: a random preset is for timing and memory, not for reading.
//
// The padding is appended to the serialized ModelProto as further `pieces` entries (field 1):
// protobuf merges a repeated field's occurrences in order, so the result is the original model
// with pieces 2048.. added, readable by the SentencePiece library and by this package.

import { TensorzooError } from '@tensorzoo/core';
import { SentencePieceProcessor } from '../tokenizer/index.js';

/** Type UNUSED of sentencepiece_model.proto's SentencePiece.Type. */
const UNUSED_TYPE = 5;
/** llama.cpp's score for padding pieces. */
export const PADDING_SCORE = -10000;

export function paddingPiece(id: number): string {
  return `[PAD${id}]`;
}

function varint(value: number, out: number[]): void {
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** One serialized `SentencePiece { piece = 1; score = 2; type = 3 }` as a `pieces` (field 1) entry. */
function pieceEntry(piece: string, score: number, type: number, out: number[]): void {
  const text = new TextEncoder().encode(piece);
  const body: number[] = [0x0a];
  varint(text.length, body);
  body.push(...text);
  body.push(0x15);
  const scoreBytes = new Uint8Array(new Float32Array([score]).buffer);
  body.push(...scoreBytes);
  body.push(0x18);
  varint(type, body);
  out.push(0x0a);
  varint(body.length, out);
  out.push(...body);
}

/**
 * `proto` (a serialized SentencePiece ModelProto) with UNUSED `[PAD<id>]` pieces appended until it
 * has `vocabularySize` pieces. A proto that already has more pieces is an error.
 */
export function padSentencePieceModel(proto: Uint8Array, vocabularySize: number): Uint8Array {
  const existing = new SentencePieceProcessor(proto).vocabularySize;
  if (!Number.isInteger(vocabularySize) || vocabularySize < existing)
    throw new TensorzooError(`padSentencePieceModel: argument 'vocabularySize' expected an integer ≥ the model's ${existing} pieces, received ${vocabularySize}`);
  const tail: number[] = [];
  for (let id = existing; id < vocabularySize; id++) pieceEntry(paddingPiece(id), PADDING_SCORE, UNUSED_TYPE, tail);
  const padded = new Uint8Array(proto.length + tail.length);
  padded.set(proto, 0);
  padded.set(tail, proto.length);
  return padded;
}
