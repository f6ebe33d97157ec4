// Shared differential checks: our SentencePieceProcessor against the reference library on the
// same model, collecting every disagreement (with the input that caused it) instead of stopping
// at the first, so a failure report shows the pattern.
import { SentencePieceProcessor } from '../../../src/tokenizer/index.js';
import { PieceType } from '../../../src/tokenizer/index.js';
import { randomBytes, SeededRandom } from './random-text.js';
import type { ReferenceProcessor } from './reference-library.js';

export interface Disagreement {
  readonly check: string;
  readonly input: string;
  readonly ours: unknown;
  readonly library: unknown;
}

const encoder = new TextEncoder();

function same(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Encodes every text with both and compares ids, pieces and the decoded round trip. */
export function compareTexts(ours: SentencePieceProcessor, library: ReferenceProcessor, texts: readonly string[], withPieces = true): Disagreement[] {
  const disagreements: Disagreement[] = [];
  for (const text of texts) {
    const bytes = encoder.encode(text);
    const input = JSON.stringify(text);
    const expectedIds = library.encodeIds(bytes);
    let ids: number[];
    try {
      ids = ours.encode(text);
    } catch (error) {
      // The library reports an error status (and its wasm wrapper returns no ids) when a word or
      // character of a WORD/CHAR model is a control piece; we throw. Both refuse: agreement.
      const refusedAlike = expectedIds.length === 0 && /control piece/.test(String(error));
      if (!refusedAlike) disagreements.push({ check: 'encode', input, ours: String(error), library: expectedIds });
      continue;
    }
    if (!same(ids, expectedIds)) disagreements.push({ check: 'encode', input, ours: ids, library: expectedIds });
    const idsFromBytes = ours.encode(bytes);
    if (!same(idsFromBytes, ids)) disagreements.push({ check: 'encode(bytes) vs encode(string)', input, ours: idsFromBytes, library: ids });
    if (withPieces) {
      const expectedPieces = library.encodePieces(bytes);
      const pieces = ours.encodeAsPieces(text);
      if (!same(pieces, expectedPieces)) disagreements.push({ check: 'encodeAsPieces', input, ours: pieces, library: expectedPieces });
    }
    const expectedText = library.decodeIds(expectedIds);
    const decoded = ours.decode(expectedIds);
    if (decoded !== expectedText) disagreements.push({ check: 'decode(encode(text))', input, ours: decoded, library: expectedText });
  }
  return disagreements;
}

/** Encodes random (mostly malformed) UTF-8 byte strings with both. */
export function compareRandomBytes(ours: SentencePieceProcessor, library: ReferenceProcessor, seed: number, count: number): Disagreement[] {
  const random = new SeededRandom(seed);
  const disagreements: Disagreement[] = [];
  for (let index = 0; index < count; index++) {
    const bytes = randomBytes(random);
    const expectedIds = library.encodeIds(bytes);
    const ids = ours.encode(bytes);
    if (!same(ids, expectedIds)) disagreements.push({ check: 'encode(bytes)', input: `bytes [${Array.from(bytes).join(',')}]`, ours: ids, library: expectedIds });
  }
  return disagreements;
}

/**
 * Decodes random id sequences with both: byte pieces (forming malformed UTF-8 more often than
 * not), control and unknown pieces, pieces starting with U+2581, and arbitrary ids.
 */
export function compareRandomIdDecoding(ours: SentencePieceProcessor, library: ReferenceProcessor, seed: number, count: number): Disagreement[] {
  const random = new SeededRandom(seed);
  const size = ours.vocabularySize;
  const byType = (type: number) => Array.from({ length: size }, (_, id) => id).filter((id) => ours.modelProto.pieces[id]!.type === type);
  const bytePieces = byType(PieceType.byte);
  const specialPieces = [...byType(PieceType.control), ...byType(PieceType.unknown), ...byType(PieceType.userDefined)];
  const spacePieces = Array.from({ length: size }, (_, id) => id).filter((id) => ours.modelProto.pieces[id]!.piece.startsWith('\u2581'));
  const disagreements: Disagreement[] = [];
  for (let index = 0; index < count; index++) {
    const length = random.integer(0, 30);
    const ids: number[] = [];
    for (let position = 0; position < length; position++) {
      const choice = random.next();
      if (choice < 0.45 && bytePieces.length > 0) ids.push(random.pick(bytePieces));
      else if (choice < 0.6 && specialPieces.length > 0) ids.push(random.pick(specialPieces));
      else if (choice < 0.75 && spacePieces.length > 0) ids.push(random.pick(spacePieces));
      else ids.push(random.integer(0, size - 1));
    }
    const expected = library.decodeIds(ids);
    const decoded = ours.decode(ids);
    if (decoded !== expected) disagreements.push({ check: 'decode(random ids)', input: JSON.stringify(ids), ours: decoded, library: expected });
  }
  return disagreements;
}
