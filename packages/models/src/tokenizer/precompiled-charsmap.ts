// The `precompiled_charsmap` of a SentencePiece NormalizerSpec (nmt_nfkc, nfkc_cf, ... rules
// compiled by the trainer). Layout, as documented by `Normalizer::EncodePrecompiledCharsMap` in
// the library: a little-endian uint32 with the byte size of the trie, then the trie itself (a
// darts-clone double array of little-endian uint32 units), then a blob of NUL-terminated
// replacement strings. A trie hit's value is the offset of its replacement in that blob.
//
// Lookup walks the double array exactly as darts-clone's `commonPrefixSearch` does, unit by unit,
// so the same array gives the same matches (including the cap on reported results that the
// library's normalizer uses).

import { TensorzooError } from '@tensorzoo/core';

/** `Normalizer::kMaxTrieResultsSize`: the normalizer looks at the first 32 prefix matches only. */
const MAX_TRIE_RESULTS = 32;

export interface CharsmapMatch {
  /** Bytes of input consumed by the rule (0: no rule applies here). */
  consumed: number;
  /** Offset of the replacement string in the replacement blob. */
  replacementOffset: number;
}

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  /** Replacement strings, each NUL-terminated. */
  readonly replacements: Uint8Array;

  constructor(blob: Uint8Array, specName: string) {
    if (blob.length <= 4) {
      throw new TensorzooError(
        `SentencePiece ${specName}.precompiled_charsmap is broken: expected more than 4 bytes (a trie size and a trie), received ${blob.length}`,
      );
    }
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize >= blob.length) {
      throw new TensorzooError(
        `SentencePiece ${specName}.precompiled_charsmap is broken: the trie size ${trieSize} exceeds the blob size ${blob.length}`,
      );
    }
    // darts-clone counts units, not bytes: trailing bytes of an incomplete unit are ignored.
    const unitCount = Math.floor(trieSize / 4);
    this.units = new Uint32Array(unitCount);
    for (let index = 0; index < unitCount; index++) this.units[index] = view.getUint32(4 + index * 4, true);
    this.replacements = blob.slice(4 + trieSize);
  }

  /**
   * The longest rule (among the first 32 prefix matches) that applies to `input[start, end)`.
   * A unit is decoded as darts-clone does: bit 8 = has a leaf, bits 0-7 (+ bit 31 for leaves) =
   * label, offset = (unit >> 10) << ((unit & 512) >> 6), value = unit & 0x7fffffff.
   */
  longestMatch(input: Uint8Array, start: number, end: number, result: CharsmapMatch): void {
    const units = this.units;
    const unitCount = units.length;
    let longestLength = 0;
    let longestValue = 0;
    let resultCount = 0;
    if (unitCount > 0) {
      let unit = units[0]!;
      let nodePosition = unitOffset(unit);
      for (let index = start; index < end; index++) {
        const label = input[index]!;
        nodePosition ^= label;
        if (nodePosition >= unitCount) break;
        unit = units[nodePosition]!;
        // label(): unit & ((1 << 31) | 0xff); a leaf unit has bit 31 set so it never matches a byte.
        if ((unit & 0x800000ff) >>> 0 !== label) break;
        nodePosition ^= unitOffset(unit);
        if (((unit >>> 8) & 1) === 1) {
          if (resultCount < MAX_TRIE_RESULTS) {
            if (nodePosition >= unitCount) break;
            const length = index + 1 - start;
            if (longestLength === 0 || length > longestLength) {
              longestLength = length;
              longestValue = units[nodePosition]! & 0x7fffffff;
            }
          }
          resultCount++;
        }
      }
    }
    result.consumed = longestLength;
    result.replacementOffset = longestValue;
  }

  /** Whether any rule starts with `byte` (one transition from the root). */
  hasRuleStartingWith(byte: number): boolean {
    const units = this.units;
    if (units.length === 0) return false;
    const position = unitOffset(units[0]!) ^ byte;
    return position < units.length && (units[position]! & 0x800000ff) >>> 0 === byte;
  }

  /** Length of the NUL-terminated replacement at `offset` (clipped to the blob). */
  replacementLength(offset: number): number {
    const replacements = this.replacements;
    let position = offset;
    while (position < replacements.length && replacements[position] !== 0) position++;
    return position - offset;
  }
}

function unitOffset(unit: number): number {
  return (unit >>> 10) << ((unit & 512) >>> 6);
}
