// Reading SentencePiece ModelProto files, and the clear errors for corrupt, truncated or
// inconsistent models (the checks of the library's ModelInterface::InitializePieces).
import { describe, expect, it } from 'vitest';
import { TensorzooError } from '@tensorzoo/core';
import { ModelType, parseModelProto, PieceType, SentencePieceProcessor } from '../../src/tokenizer/index.js';
import { readFixture } from './support/fixture-files.js';
import { writeModelProto } from './support/proto-writer.js';

const gemmaBytes = readFixture('gemma_like_vocab.spm');
const llamaBytes = readFixture('llama2_tokenizer_full.spm');

describe('parseModelProto', () => {
  it('reads the pieces, trainer spec and normalizer spec of the Gemma-like model', () => {
    const model = parseModelProto(gemmaBytes);
    expect(model.pieces).toHaveLength(2048);
    expect(model.pieces.slice(0, 4).map((piece) => [piece.piece, piece.type])).toEqual([
      ['<pad>', PieceType.control],
      ['<eos>', PieceType.control],
      ['<bos>', PieceType.control],
      ['<unk>', PieceType.unknown],
    ]);
    expect(model.pieces.filter((piece) => piece.type === PieceType.byte)).toHaveLength(256);
    expect(model.trainerSpec).toMatchObject({
      modelType: ModelType.bpe,
      vocabSize: 2048,
      byteFallback: true,
      splitDigits: true,
      unkId: 3,
      bosId: 2,
      eosId: 1,
      padId: 0,
      bosPiece: '<bos>',
      userDefinedSymbols: ['<start_of_turn>', '<end_of_turn>', '<mask>'],
      hasUnkSurface: false,
    });
    expect(model.normalizerSpec).toMatchObject({ name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true });
    expect(model.normalizerSpec.precompiledCharsmap).toHaveLength(0);
    expect(model.denormalizerSpec).toBeNull();
  });

  it('reads the 32k-piece Llama 2 model (dummy prefix, pad id -1 as a negative varint)', () => {
    const model = parseModelProto(llamaBytes);
    expect(model.pieces).toHaveLength(32000);
    expect(model.trainerSpec).toMatchObject({ modelType: ModelType.bpe, padId: -1, unkId: 0, bosPiece: '<s>', byteFallback: true });
    expect(model.normalizerSpec.addDummyPrefix).toBe(true);
  });

  it('round-trips through the test writer', () => {
    const model = parseModelProto(gemmaBytes);
    const again = parseModelProto(writeModelProto(model));
    expect(again.pieces.map((piece) => [piece.piece, piece.score, piece.type])).toEqual(model.pieces.map((piece) => [piece.piece, piece.score, piece.type]));
    expect(again.trainerSpec).toEqual(model.trainerSpec);
  });

  it('reports a truncated file with the message, byte offset and what was expected', () => {
    expect(() => parseModelProto(gemmaBytes.subarray(0, gemmaBytes.length - 1))).toThrow(
      /SentencePiece model proto is corrupt: while reading ModelProto.* expected .*truncated/,
    );
    expect(() => parseModelProto(gemmaBytes.subarray(0, 3))).toThrow(TensorzooError);
    expect(() => parseModelProto(Uint8Array.of(0x0a, 0x80))).toThrow(/a length prefix \(a varint\).*truncated/);
  });

  it('never fails with anything but a clear TensorzooError on any truncation or byte corruption', () => {
    for (let length = 0; length < 600; length += 7) {
      try {
        new SentencePieceProcessor(gemmaBytes.subarray(0, length));
      } catch (error) {
        expect(error).toBeInstanceOf(TensorzooError);
      }
    }
    const corrupted = gemmaBytes.slice();
    for (let position = 0; position < 400; position += 13) {
      const copy = corrupted.slice();
      copy[position] = 0xff;
      try {
        new SentencePieceProcessor(copy);
      } catch (error) {
        expect(error).toBeInstanceOf(TensorzooError);
      }
    }
  });

  it('rejects data that is not a protobuf at all', () => {
    expect(() => new SentencePieceProcessor(new TextEncoder().encode('not a sentencepiece model'))).toThrow(TensorzooError);
    expect(() => parseModelProto(Uint8Array.of(0x07))).toThrow(/field key with a field number >= 1 and a wire type 0-5/);
    expect(() => new SentencePieceProcessor('model.spm' as unknown as Uint8Array)).toThrow(/argument 'modelBytes' expected a Uint8Array/);
  });

  it('keeps an enum field at its default when the value is not declared (proto2 semantics)', () => {
    const model = parseModelProto(gemmaBytes);
    const bytes = writeModelProto(model);
    // Change the first piece's type (field 3, varint 3 = CONTROL) to the undeclared value 9.
    const typeIndex = bytes.indexOf(0x18);
    expect(bytes[typeIndex + 1]).toBe(PieceType.control);
    const patched = bytes.slice();
    patched[typeIndex + 1] = 9;
    expect(parseModelProto(patched).pieces[0]!.type).toBe(PieceType.normal);
  });
});

describe('SentencePieceProcessor model checks (as the library refuses to load)', () => {
  const load = (edit: (model: ReturnType<typeof parseModelProto>) => void) => {
    const model = parseModelProto(gemmaBytes);
    edit(model);
    return () => new SentencePieceProcessor(writeModelProto(model));
  };

  it('requires exactly one <unk> piece', () => {
    expect(load((model) => (model.pieces[3]!.type = PieceType.normal))).toThrow(/unk is not defined/);
    expect(load((model) => (model.pieces[7]!.type = PieceType.unknown))).toThrow(/unk is already defined \(ids 3 and 7/);
  });

  it('rejects empty and duplicate pieces', () => {
    expect(load((model) => (model.pieces[10] = { ...model.pieces[10]!, piece: '', pieceBytes: new Uint8Array(0) }))).toThrow(/piece 10 is empty/);
    expect(load((model) => (model.pieces[900] = { ...model.pieces[901]! }))).toThrow(/is already defined/);
  });

  it('requires byte_fallback for byte pieces, and then all 256 of them', () => {
    expect(load((model) => (model.trainerSpec.byteFallback = false))).toThrow(/byte piece "<0x00>" \(id 7\) is found although trainer_spec.byte_fallback is false/);
    expect(load((model) => (model.pieces[7]!.type = PieceType.normal))).toThrow(/there are not 256 byte pieces.*<0x00> is missing/);
    expect(load((model) => (model.pieces[8] = { ...model.pieces[8]!, piece: '<0xZZ>', pieceBytes: new TextEncoder().encode('<0xZZ>') }))).toThrow(
      /byte piece "<0xZZ>" \(id 8\) is invalid/,
    );
  });

  it('rejects a model without pieces', () => {
    expect(load((model) => (model.pieces = []))).toThrow(/expected at least one piece/);
  });

  it('rejects a broken precompiled charsmap', () => {
    expect(load((model) => (model.normalizerSpec.precompiledCharsmap = Uint8Array.of(1, 2, 3)))).toThrow(/precompiled_charsmap is broken: expected more than 4 bytes/);
    expect(load((model) => (model.normalizerSpec.precompiledCharsmap = Uint8Array.of(100, 0, 0, 0, 1, 2)))).toThrow(/trie size 100 exceeds the blob size 6/);
  });
});

describe('SentencePieceProcessor lookups and argument errors', () => {
  const processor = new SentencePieceProcessor(gemmaBytes);

  it('maps pieces and ids both ways, with <unk> for unknown pieces', () => {
    expect(processor.pieceToId('<start_of_turn>')).toBe(4);
    expect(processor.pieceToId('<0x41>')).toBe(7 + 0x41); // byte pieces follow the 7 special pieces
    expect(processor.pieceToId('definitely not a piece')).toBe(3);
    expect(processor.idToPiece(941)).toBe('the');
    expect(processor.isControl(2)).toBe(true);
    expect(processor.isUnknown(3)).toBe(true);
    expect(processor.isUserDefined(4)).toBe(true);
    expect(processor.isByte(72)).toBe(true);
    expect(processor.isUnused(941)).toBe(false);
    expect(processor.score(941)).toBeTypeOf('number');
  });

  it('encodes UTF-8 bytes like the equivalent string, and malformed bytes as U+FFFD per byte', () => {
    expect(processor.encode(new TextEncoder().encode('the quick brown fox'))).toEqual(processor.encode('the quick brown fox'));
    expect(processor.encodeAsPieces(Uint8Array.of(0xff, 0x61))).toEqual(['<0xEF>', '<0xBF>', '<0xBD>', 'a']);
    expect(processor.encode('\uD800')).toEqual(processor.encode('\uFFFD'));
  });

  it('decodes byte pieces that do not form UTF-8 to U+FFFD, one per malformed byte', () => {
    const byteId = (byte: number) => processor.pieceToId(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    expect(processor.decode([byteId(0xe6), byteId(0x97), byteId(0x41)])).toBe('\uFFFD\uFFFDA');
    expect(processor.decode([byteId(0xe6), byteId(0x97), byteId(0xa5)])).toBe('\u65E5');
    expect(processor.decode([byteId(0xed), byteId(0xa0), byteId(0x80)])).toBe('\uFFFD\uFFFD\uFFFD'); // a surrogate code point
  });

  it('names the argument, the expected range and the received value on bad ids and inputs', () => {
    expect(() => processor.decode([941, 2048])).toThrow(/decode: argument 'ids\[1\]' expected an integer token id in \[0, 2047\] \(the vocabulary has 2048 pieces\), received 2048/);
    expect(() => processor.decode([-1])).toThrow(/received -1/);
    expect(() => processor.decode([Number.NaN])).toThrow(/received NaN/);
    expect(() => processor.decode(5 as unknown as number[])).toThrow(/argument 'ids' expected an array of integer token ids/);
    expect(() => processor.idToPiece(4096)).toThrow(/idToPiece: argument 'id' expected an integer id in \[0, 2047\], received 4096/);
    expect(() => processor.encode(null as unknown as string)).toThrow(/encode: argument 'text' expected a string or a Uint8Array of UTF-8, received null/);
  });
});
