// The two simple SentencePiece model types, as `word::Model` and `character::Model` encode:
// - WORD: the normalized text is cut before every U+2581 (the library's `SplitIntoWords` with
//   its defaults) and each word is looked up whole (`PieceToId`, `<unk>` when absent);
// - CHAR: one user-defined piece (longest match) or one character at a time, each looked up.

import { leadByteLength } from './utf8.js';
import type { SegmentationModel, Segments, Vocabulary } from './vocabulary.js';

function isSpaceSymbolAt(text: Uint8Array, position: number, characterLength: number): boolean {
  return characterLength === 3 && text[position] === 0xe2 && text[position + 1] === 0x96 && text[position + 2] === 0x81;
}

export class WordModel implements SegmentationModel {
  constructor(private readonly vocabulary: Vocabulary) {}

  encode(text: Uint8Array, length: number, output: Segments): void {
    output.clear();
    let wordStart = 0;
    let position = 0;
    while (position < length) {
      const characterLength = Math.min(leadByteLength(text[position]!), length - position);
      if (position > 0 && isSpaceSymbolAt(text, position, characterLength)) {
        output.push(wordStart, position, this.vocabulary.idOfBytes(text, wordStart, position));
        wordStart = position;
      }
      position += characterLength;
    }
    if (length > 0) output.push(wordStart, length, this.vocabulary.idOfBytes(text, wordStart, length));
  }
}

export class CharModel implements SegmentationModel {
  constructor(private readonly vocabulary: Vocabulary) {}

  encode(text: Uint8Array, length: number, output: Segments): void {
    output.clear();
    const userDefined = this.vocabulary.userDefinedTrie;
    let position = 0;
    while (position < length) {
      let pieceLength = userDefined === null ? 0 : userDefined.longestPrefixLength(text, position, length);
      if (pieceLength === 0) pieceLength = Math.min(leadByteLength(text[position]!), length - position);
      output.push(position, position + pieceLength, this.vocabulary.idOfBytes(text, position, position + pieceLength));
      position += pieceLength;
    }
  }
}
