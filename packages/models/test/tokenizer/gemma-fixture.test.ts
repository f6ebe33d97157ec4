// The reference cases of gemma_like_vocab.tokenizer.reference.json (made with the SentencePiece
// 0.2 library and KerasHub's GemmaTokenizer): ids, pieces and decoded text must match exactly.
import { describe, expect, it } from 'vitest';
import { GemmaTokenizer, SentencePieceProcessor } from '../../src/tokenizer/index.js';
import { readFixture, readFixtureJson } from './support/fixture-files.js';

interface ReferenceCase {
  text: string;
  ids: number[];
  pieces: string[];
  decoded: string;
}

interface TokenizerReference {
  model: string;
  vocab_size: number;
  bos_id: number;
  eos_id: number;
  pad_id: number;
  unk_id: number;
  cases: ReferenceCase[];
  keras_hub_ids: number[][];
}

const reference = readFixtureJson<TokenizerReference>('gemma_like_vocab.tokenizer.reference.json');
const modelBytes = readFixture('gemma_like_vocab.spm');

describe('SentencePieceProcessor on gemma_like_vocab.spm (reference cases)', () => {
  const processor = new SentencePieceProcessor(modelBytes);

  it('has the reference vocabulary size and special ids', () => {
    expect(processor.vocabularySize).toBe(reference.vocab_size);
    expect(processor.bosId).toBe(reference.bos_id);
    expect(processor.eosId).toBe(reference.eos_id);
    expect(processor.padId).toBe(reference.pad_id);
    expect(processor.unknownId).toBe(reference.unk_id);
  });

  it.each(reference.cases.map((testCase) => [JSON.stringify(testCase.text), testCase] as const))('encodes and decodes %s', (_, testCase) => {
    expect(processor.encode(testCase.text)).toEqual(testCase.ids);
    expect(processor.encodeAsPieces(testCase.text)).toEqual(testCase.pieces);
    expect(processor.decode(testCase.ids)).toBe(testCase.decoded);
    expect(testCase.ids.map((id) => processor.idToPiece(id))).toEqual(testCase.pieces);
  });
});

describe('GemmaTokenizer on gemma_like_vocab.spm (KerasHub reference ids)', () => {
  const tokenizer = new GemmaTokenizer(modelBytes);

  it('tokenizes every case to the ids KerasHub produced, one string at a time and as a batch', () => {
    const texts = reference.cases.map((testCase) => testCase.text);
    texts.forEach((text, index) => expect(tokenizer.tokenize(text)).toEqual(reference.keras_hub_ids[index]));
    expect(tokenizer.tokenize(texts)).toEqual(reference.keras_hub_ids);
  });

  it('detokenizes the KerasHub ids back to the reference text', () => {
    expect(tokenizer.detokenize(reference.keras_hub_ids)).toEqual(reference.cases.map((testCase) => testCase.decoded));
  });
});
