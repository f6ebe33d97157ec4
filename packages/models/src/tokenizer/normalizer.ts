// Text normalization before segmentation, reproducing `normalizer::Normalizer::Normalize` of the
// SentencePiece library byte for byte:
//
// 1. The input is consumed one "prefix" at a time: a user-defined symbol (longest match, copied
//    unchanged), else the longest rule of the precompiled charsmap (replaced by the rule's
//    output), else one well-formed UTF-8 character (copied), else one malformed byte (U+FFFD).
// 2. With `remove_extra_whitespaces`, leading spaces are dropped, runs of spaces collapse to one
//    (a prefix's leading spaces are dropped when the previous output ended with a space), and
//    trailing space symbols are removed at the end.
// 3. With `escape_whitespaces`, every ' ' in the output becomes U+2581.
// 4. With `add_dummy_prefix`, one space symbol is added at the start (or, with
//    `treat_whitespace_as_suffix`, at the end) of any non-empty result.
//
// Offsets back into the original text (the library's `norm_to_orig`) are not tracked because no
// caller of this port needs them; that keeps the hot loop free of a second output array.

import type { NormalizerSpec } from './model-proto.js';
import { NO_NODE, ROOT_NODE, type PieceTrie } from './piece-trie.js';
import { PrecompiledCharsmap, type CharsmapMatch } from './precompiled-charsmap.js';
import { ByteBuffer, REPLACEMENT_CHARACTER, SPACE_SYMBOL, validCharacterLength } from './utf8.js';

const SPACE = 0x20;

export class Normalizer {
  private readonly charsmap: PrecompiledCharsmap | null;
  private readonly addDummyPrefix: boolean;
  private readonly removeExtraWhitespaces: boolean;
  private readonly escapeWhitespaces: boolean;
  private readonly charsmapMatch: CharsmapMatch = { consumed: 0, replacementOffset: 0 };
  /** Per first byte: 1 when a user-defined symbol or a charsmap rule may start with it. */
  private readonly mayMatchRule = new Uint8Array(256);

  // Result of the last `normalizePrefix` call: the replacement is prefixSource[prefixStart, prefixEnd).
  private prefixSource: Uint8Array = REPLACEMENT_CHARACTER;
  private prefixStart = 0;
  private prefixEnd = 0;

  /**
   * @param spec the normalizer (or denormalizer) spec
   * @param treatWhitespaceAsSuffix TrainerSpec.treat_whitespace_as_suffix (false for a denormalizer)
   * @param userDefinedSymbols the model's user-defined pieces, matched before any rule; null for none
   * @param specName for error messages ("normalizer_spec" / "denormalizer_spec")
   */
  constructor(
    spec: NormalizerSpec,
    private readonly treatWhitespaceAsSuffix: boolean,
    private readonly userDefinedSymbols: PieceTrie | null,
    specName = 'normalizer_spec',
  ) {
    this.charsmap = spec.precompiledCharsmap.length > 0 ? new PrecompiledCharsmap(spec.precompiledCharsmap, specName) : null;
    this.addDummyPrefix = spec.addDummyPrefix;
    this.removeExtraWhitespaces = spec.removeExtraWhitespaces;
    this.escapeWhitespaces = spec.escapeWhitespaces;
    for (let byte = 0; byte < 256; byte++) {
      const userDefinedMatch = userDefinedSymbols !== null && userDefinedSymbols.child(ROOT_NODE, byte) !== NO_NODE;
      const ruleMatch = this.charsmap !== null && this.charsmap.hasRuleStartingWith(byte);
      this.mayMatchRule[byte] = userDefinedMatch || ruleMatch ? 1 : 0;
    }
  }

  /**
   * Consumes one prefix of `input[position, end)` and returns the number of bytes consumed; the
   * replacement is left in prefixSource[prefixStart, prefixEnd).
   */
  private normalizePrefix(input: Uint8Array, position: number, end: number): number {
    if (this.mayMatchRule[input[position]!] === 0) {
      // Fast path: no symbol or rule starts with this byte, so the character is copied as is.
      const length = validCharacterLength(input, position, end);
      if (length !== 0) {
        this.prefixSource = input;
        this.prefixStart = position;
        this.prefixEnd = position + length;
        return length;
      }
    }
    if (this.userDefinedSymbols !== null) {
      const length = this.userDefinedSymbols.longestPrefixLength(input, position, end);
      if (length > 0) {
        this.prefixSource = input;
        this.prefixStart = position;
        this.prefixEnd = position + length;
        return length;
      }
    }
    if (this.charsmap !== null) {
      const match = this.charsmapMatch;
      this.charsmap.longestMatch(input, position, end, match);
      if (match.consumed > 0) {
        // The replacement is NUL-terminated in the blob (the library reads it as a C string).
        this.prefixSource = this.charsmap.replacements;
        this.prefixStart = match.replacementOffset;
        this.prefixEnd = match.replacementOffset + this.charsmap.replacementLength(match.replacementOffset);
        return match.consumed;
      }
    }
    const length = validCharacterLength(input, position, end);
    if (length === 0) {
      // Malformed UTF-8: the library emits U+FFFD but consumes only one byte.
      this.prefixSource = REPLACEMENT_CHARACTER;
      this.prefixStart = 0;
      this.prefixEnd = 3;
      return 1;
    }
    this.prefixSource = input;
    this.prefixStart = position;
    this.prefixEnd = position + length;
    return length;
  }

  private appendSpace(output: ByteBuffer): void {
    if (this.escapeWhitespaces) output.append(SPACE_SYMBOL);
    else output.push(SPACE);
  }

  /** Normalizes `input[0, length)` into `output` (its previous contents are discarded). */
  normalize(input: Uint8Array, length: number, output: ByteBuffer): void {
    output.clear();
    if (length === 0) return;
    let position = 0;

    if (this.removeExtraWhitespaces) {
      // Drop leading input whose normalized form is exactly one space.
      while (position < length) {
        const consumed = this.normalizePrefix(input, position, length);
        if (this.prefixEnd - this.prefixStart !== 1 || this.prefixSource[this.prefixStart] !== SPACE) break;
        position += consumed;
      }
      if (position === length) return;
    }

    output.reserve((length - position) * 3 + 3);
    if (!this.treatWhitespaceAsSuffix && this.addDummyPrefix) this.appendSpace(output);

    if (this.userDefinedSymbols === null && this.charsmap === null && !this.removeExtraWhitespaces) {
      this.copyEscaped(input, position, length, output);
    } else {
      let isPreviousSpace = this.removeExtraWhitespaces;
      while (position < length) {
        const consumed = this.normalizePrefix(input, position, length);
        const source = this.prefixSource;
        let start = this.prefixStart;
        const end = this.prefixEnd;
        if (isPreviousSpace) while (start < end && source[start] === SPACE) start++;
        if (start < end) {
          output.reserve((end - start) * 3);
          for (let index = start; index < end; index++) {
            const byte = source[index]!;
            if (byte === SPACE && this.escapeWhitespaces) output.append(SPACE_SYMBOL);
            else output.bytes[output.length++] = byte;
          }
          isPreviousSpace = source[end - 1] === SPACE;
        }
        position += consumed;
        if (!this.removeExtraWhitespaces) isPreviousSpace = false;
      }
    }

    if (this.removeExtraWhitespaces) this.removeTrailingSpaces(output);
    if (this.treatWhitespaceAsSuffix && this.addDummyPrefix) this.appendSpace(output);
  }

  /** The common identity case (no rules, no user symbols, spaces kept): one pass, no lookups. */
  private copyEscaped(input: Uint8Array, start: number, end: number, output: ByteBuffer): void {
    const escape = this.escapeWhitespaces;
    const bytes = output.bytes;
    let outputLength = output.length;
    let position = start;
    while (position < end) {
      const byte = input[position]!;
      if (byte < 0x80) {
        if (byte === SPACE && escape) {
          bytes[outputLength++] = 0xe2;
          bytes[outputLength++] = 0x96;
          bytes[outputLength++] = 0x81;
        } else {
          bytes[outputLength++] = byte;
        }
        position++;
        continue;
      }
      const characterLength = validCharacterLength(input, position, end);
      if (characterLength === 0) {
        bytes[outputLength++] = 0xef;
        bytes[outputLength++] = 0xbf;
        bytes[outputLength++] = 0xbd;
        position++;
      } else {
        for (let index = 0; index < characterLength; index++) bytes[outputLength++] = input[position + index]!;
        position += characterLength;
      }
    }
    output.length = outputLength;
  }

  private removeTrailingSpaces(output: ByteBuffer): void {
    const bytes = output.bytes;
    if (this.escapeWhitespaces) {
      while (
        output.length >= 3 &&
        bytes[output.length - 3] === 0xe2 &&
        bytes[output.length - 2] === 0x96 &&
        bytes[output.length - 1] === 0x81
      ) {
        output.length -= 3;
      }
    } else {
      while (output.length >= 1 && bytes[output.length - 1] === SPACE) output.length -= 1;
    }
  }
}
