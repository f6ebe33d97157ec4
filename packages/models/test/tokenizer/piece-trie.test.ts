// The double-array trie under every piece lookup, against a plain Map over random byte keys.
import { describe, expect, it } from 'vitest';
import { NO_NODE, PieceTrie, ROOT_NODE } from '../../src/tokenizer/piece-trie.js';
import { SeededRandom } from './support/random-text.js';

function randomKey(random: SeededRandom): Uint8Array {
  const length = random.integer(1, 12);
  // A small alphabet makes shared prefixes common; a few keys use the full byte range.
  const wide = random.next() < 0.2;
  return Uint8Array.from({ length }, () => (wide ? random.integer(0, 255) : random.pick([0x61, 0x62, 0x63, 0xe2, 0x96, 0x81, 0x00])));
}

const keyOf = (bytes: Uint8Array) => Array.from(bytes).join(',');

describe('PieceTrie', () => {
  const random = new SeededRandom(5);
  const entries = Array.from({ length: 5000 }, (_, value) => ({ bytes: randomKey(random), value }));
  const expected = new Map<string, number>();
  const duplicates: [number, number][] = [];
  for (const entry of entries) {
    const key = keyOf(entry.bytes);
    if (expected.has(key)) duplicates.push([expected.get(key)!, entry.value]);
    else expected.set(key, entry.value);
  }
  const reported: [number, number][] = [];
  const trie = PieceTrie.build(entries, (kept, duplicate) => reported.push([kept, duplicate]));

  it('finds every key exactly, the first of duplicated keys winning, and reports each duplicate', () => {
    for (const entry of entries) expect(trie.exactMatch(entry.bytes, 0, entry.bytes.length)).toBe(expected.get(keyOf(entry.bytes)));
    expect(reported.sort((a, b) => a[1] - b[1])).toEqual(duplicates);
  });

  it('answers -1 for keys it does not hold, and the longest stored prefix of any input', () => {
    const probe = new SeededRandom(9);
    for (let index = 0; index < 3000; index++) {
      const bytes = randomKey(probe);
      expect(trie.exactMatch(bytes, 0, bytes.length)).toBe(expected.get(keyOf(bytes)) ?? -1);
      let longest = 0;
      for (let length = 1; length <= bytes.length; length++) if (expected.has(keyOf(bytes.subarray(0, length)))) longest = length;
      expect(trie.longestPrefixLength(bytes, 0, bytes.length)).toBe(longest);
    }
  });

  it('walks transitions one byte at a time and stops outside the trie', () => {
    const bytes = entries[0]!.bytes;
    let node = ROOT_NODE;
    for (const byte of bytes) node = trie.child(node, byte);
    expect(trie.valueAt(node)).toBe(expected.get(keyOf(bytes)));
    expect(trie.walk(ROOT_NODE, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0, 13)).toBe(NO_NODE);
  });

  it('handles an empty key set', () => {
    const empty = PieceTrie.build([]);
    expect(empty.exactMatch(Uint8Array.of(0x61), 0, 1)).toBe(-1);
    expect(empty.longestPrefixLength(Uint8Array.of(0), 0, 1)).toBe(0);
  });
});
