// Serializes a parsed SentencePiece model back into ModelProto bytes, so tests can derive model
// variants (other model types, UNUSED pieces, other normalizer settings) from the fixtures and
// compare our processor with the reference library on them. Only the fields our reader decodes
// are written; field numbers follow sentencepiece_model.proto.
import type { NormalizerSpec, SentencePieceModelProto, TrainerSpec } from '../../../src/tokenizer/index.js';

class ProtoWriter {
  private readonly chunks: number[] = [];

  varint(value: number): this {
    // Negative int32 values are written as 10-byte two's complement varints, as protobuf does.
    let low = value >>> 0;
    let high = value < 0 ? 0xffffffff : Math.floor(value / 4294967296) >>> 0;
    do {
      const byte = low & 0x7f;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
      this.chunks.push(low === 0 && high === 0 ? byte : byte | 0x80);
    } while (low !== 0 || high !== 0);
    return this;
  }

  key(fieldNumber: number, wireType: number): this {
    return this.varint(fieldNumber * 8 + wireType);
  }

  bytesField(fieldNumber: number, bytes: Uint8Array): this {
    this.key(fieldNumber, 2).varint(bytes.length);
    for (const byte of bytes) this.chunks.push(byte);
    return this;
  }

  stringField(fieldNumber: number, text: string): this {
    return this.bytesField(fieldNumber, new TextEncoder().encode(text));
  }

  varintField(fieldNumber: number, value: number | boolean): this {
    return this.key(fieldNumber, 0).varint(typeof value === 'boolean' ? Number(value) : value);
  }

  floatField(fieldNumber: number, value: number): this {
    const buffer = new DataView(new ArrayBuffer(4));
    buffer.setFloat32(0, value, true);
    this.key(fieldNumber, 5);
    for (let index = 0; index < 4; index++) this.chunks.push(buffer.getUint8(index));
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function writeTrainerSpec(spec: TrainerSpec): Uint8Array {
  const writer = new ProtoWriter()
    .varintField(3, spec.modelType)
    .varintField(4, spec.vocabSize)
    .varintField(24, spec.treatWhitespaceAsSuffix)
    .varintField(25, spec.splitDigits)
    .varintField(26, spec.allowWhitespaceOnlyPieces)
    .varintField(35, spec.byteFallback)
    .varintField(40, spec.unkId)
    .varintField(41, spec.bosId)
    .varintField(42, spec.eosId)
    .varintField(43, spec.padId)
    .stringField(45, spec.unkPiece)
    .stringField(46, spec.bosPiece)
    .stringField(47, spec.eosPiece)
    .stringField(48, spec.padPiece);
  for (const symbol of spec.controlSymbols) writer.stringField(30, symbol);
  for (const symbol of spec.userDefinedSymbols) writer.stringField(31, symbol);
  if (spec.hasUnkSurface) writer.stringField(44, spec.unkSurface);
  return writer.finish();
}

function writeNormalizerSpec(spec: NormalizerSpec): Uint8Array {
  const writer = new ProtoWriter().stringField(1, spec.name);
  if (spec.precompiledCharsmap.length > 0) writer.bytesField(2, spec.precompiledCharsmap);
  return writer
    .varintField(3, spec.addDummyPrefix)
    .varintField(4, spec.removeExtraWhitespaces)
    .varintField(5, spec.escapeWhitespaces)
    .finish();
}

export function writeModelProto(model: SentencePieceModelProto): Uint8Array {
  const writer = new ProtoWriter();
  for (const piece of model.pieces) {
    const pieceWriter = new ProtoWriter().bytesField(1, piece.pieceBytes).floatField(2, piece.score).varintField(3, piece.type);
    writer.bytesField(1, pieceWriter.finish());
  }
  writer.bytesField(2, writeTrainerSpec(model.trainerSpec));
  writer.bytesField(3, writeNormalizerSpec(model.normalizerSpec));
  if (model.denormalizerSpec !== null) writer.bytesField(5, writeNormalizerSpec(model.denormalizerSpec));
  return writer.finish();
}
