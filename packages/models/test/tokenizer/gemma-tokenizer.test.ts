// GemmaTokenizer (KerasHub gemma_tokenizer.py, spec gemma.md §6.1) on the Gemma-like vocabulary.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GemmaTokenizer, parseModelProto } from '../../src/tokenizer/index.js';
import { readFixture } from './support/fixture-files.js';
import { writeModelProto } from './support/proto-writer.js';

const modelBytes = readFixture('gemma_like_vocab.spm');

describe('GemmaTokenizer', () => {
  const tokenizer = new GemmaTokenizer(modelBytes);

  it('resolves the special tokens and the chat-turn pieces from the vocabulary', () => {
    expect(tokenizer.padTokenId).toBe(0);
    expect(tokenizer.endTokenId).toBe(1);
    expect(tokenizer.startTokenId).toBe(2);
    expect(tokenizer.unknownTokenId).toBe(3);
    expect(tokenizer.startOfTurnTokenId).toBe(4);
    expect(tokenizer.endOfTurnTokenId).toBe(5);
    expect(tokenizer.specialTokens).toEqual(['<bos>', '<eos>', '<pad>']);
    expect(new Set(tokenizer.specialTokenIds)).toEqual(new Set([0, 1, 2]));
    expect(tokenizer.vocabularySize()).toBe(2048);
    expect(tokenizer.getVocabulary().slice(0, 7)).toEqual(['<pad>', '<eos>', '<bos>', '<unk>', '<start_of_turn>', '<end_of_turn>', '<mask>']);
  });

  it('never adds BOS/EOS itself and matches user-defined pieces in text, but not control pieces', () => {
    expect(tokenizer.tokenize('<start_of_turn>user\n')[0]).toBe(4);
    // `<bos>` is a control piece: typed as text it is spelled out, never id 2.
    expect(tokenizer.tokenize('<bos>hi')).not.toContain(2);
    expect(tokenizer.detokenize(tokenizer.tokenize('<bos>hi'))).toBe('<bos>hi');
  });

  it('detokenizes control pieces to nothing and user-defined pieces to their text', () => {
    const ids = [2, ...tokenizer.tokenize('hello'), 5, 1, 0, 0];
    expect(tokenizer.detokenize(ids)).toBe('hello<end_of_turn>');
    expect(tokenizer.detokenize(2)).toBe('');
    expect(tokenizer.detokenize(Int32Array.from(tokenizer.tokenize('the fox')))).toBe('the fox');
    expect(tokenizer.detokenize([[2, 941], [1027]])).toEqual(['the', ' fox']);
  });

  it('maps pieces to ids and back, with <unk> for unknown pieces and an error outside the vocabulary', () => {
    expect(tokenizer.tokenToId('<start_of_turn>')).toBe(4);
    expect(tokenizer.tokenToId('no such piece')).toBe(3);
    expect(tokenizer.idToToken(941)).toBe('the');
    expect(() => tokenizer.idToToken(2048)).toThrow(/idToToken: argument 'id' expected an integer in \[0, 2047\], received 2048/);
    expect(() => tokenizer.idToToken(-1)).toThrow(/received -1/);
    expect(() => tokenizer.detokenize([941, 5000])).toThrow(/argument 'ids\[1\]' expected an integer token id in \[0, 2047\].*received 5000/);
    expect(() => tokenizer.detokenize([1.5])).toThrow(/received 1.5/);
  });

  it('truncates and right-pads with <pad> when a sequence length is set, and can add BOS/EOS', () => {
    const padded = new GemmaTokenizer(modelBytes, { sequenceLength: 6 });
    expect(padded.tokenize('the quick brown fox')).toEqual([941, 1156, 1187, 1027, 0, 0]);
    expect(padded.tokenize(['a', 'the fox jumped over the lazy dog'])).toEqual([
      [1970, 0, 0, 0, 0, 0],
      [941, 1027, 1245, 1707, 326, 1967],
    ]);
    const withMarkers = new GemmaTokenizer(modelBytes, { addBos: true, addEos: true });
    expect(withMarkers.tokenize('a')).toEqual([2, 1970, 1]);
    expect(() => new GemmaTokenizer(modelBytes, { sequenceLength: -1 })).toThrow(/sequenceLength/);
  });

  it('returns the KerasHub config with the proto stored as an asset (proto: null)', () => {
    expect(tokenizer.getConfig()).toEqual({
      name: 'gemma_tokenizer',
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'int32' }, registered_name: null },
      config_file: 'tokenizer.json',
      proto: null,
      sequence_length: null,
      add_bos: false,
      add_eos: false,
    });
  });

  it('writes the same config as the tokenizer.json of a KerasHub preset', async () => {
    const { readFile } = await import('node:fs/promises');
    const presetConfig = JSON.parse(await readFile(new URL('../fixtures/keras_gemma_tiny/tokenizer.json', import.meta.url), 'utf8')) as { config: unknown };
    expect(tokenizer.getConfig()).toEqual(presetConfig.config);
  });

  it('accepts the proto as a base64 string, and rejects other strings and types with a clear error', () => {
    const fromBase64 = new GemmaTokenizer(Buffer.from(modelBytes).toString('base64'));
    expect(fromBase64.tokenize('the quick brown fox')).toEqual([941, 1156, 1187, 1027]);
    expect(() => new GemmaTokenizer('vocabulary.spm')).toThrow(/argument 'proto' expected .*fromFile or fromPreset.*received a string of 14 character/);
    expect(() => new GemmaTokenizer(42 as unknown as Uint8Array)).toThrow(/argument 'proto' expected a Uint8Array or a base64 string, received number/);
    expect(() => tokenizer.tokenize(7 as unknown as string)).toThrow(/tokenize: argument 'input' expected a string or an array of strings/);
  });

  it('refuses a vocabulary without <bos>, <eos> or <pad>, naming the missing tokens', () => {
    const model = parseModelProto(modelBytes);
    model.pieces[2] = { ...model.pieces[2]!, piece: '<sos>', pieceBytes: new TextEncoder().encode('<sos>') };
    model.trainerSpec.bosPiece = '<sos>';
    expect(() => new GemmaTokenizer(writeModelProto(model))).toThrow(/cannot find special token '<bos>' in the vocabulary/);
    model.pieces[0] = { ...model.pieces[0]!, piece: '<blank>', pieceBytes: new TextEncoder().encode('<blank>') };
    expect(() => new GemmaTokenizer(writeModelProto(model))).toThrow(/special tokens '<bos>', '<pad>'/);
  });

  it('loads from a KerasHub preset folder (tokenizer.json + assets/tokenizer/vocabulary.spm) and from a file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tensorzoo-gemma-tokenizer-'));
    try {
      await mkdir(join(directory, 'assets', 'tokenizer'), { recursive: true });
      await writeFile(join(directory, 'assets', 'tokenizer', 'vocabulary.spm'), modelBytes);
      const config = { module: 'keras_hub.src.models.gemma.gemma_tokenizer', class_name: 'GemmaTokenizer', config: { name: 'gemma_tokenizer', proto: null, sequence_length: 3, add_bos: false, add_eos: false } };
      await writeFile(join(directory, 'tokenizer.json'), JSON.stringify(config));
      const fromPreset = await GemmaTokenizer.fromPreset(directory);
      expect(fromPreset.sequenceLength).toBe(3);
      expect(fromPreset.tokenize('the quick brown fox')).toEqual([941, 1156, 1187]);
      const fromFile = await GemmaTokenizer.fromFile(join(directory, 'assets', 'tokenizer', 'vocabulary.spm'));
      expect(fromFile.tokenize('the quick brown fox')).toEqual([941, 1156, 1187, 1027]);
      await expect(GemmaTokenizer.fromPreset(join(directory, 'missing'))).rejects.toThrow(/vocabulary\.spm/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
