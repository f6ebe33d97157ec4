// UTF-8 helpers with the exact rules of the SentencePiece library (`util.h` / `util.cc`), which
// differ slightly from the WHATWG decoder: an invalid sequence always counts as ONE byte (one
// U+FFFD per bad byte), surrogate code points and overlong forms are invalid, and the "character
// length" used to split text into symbols looks only at the lead byte.

/** Bytes of the SentencePiece whitespace symbol U+2581 (LOWER ONE EIGHTH BLOCK). */
export const SPACE_SYMBOL = Uint8Array.of(0xe2, 0x96, 0x81);
/** Bytes of U+FFFD, the replacement character. */
export const REPLACEMENT_CHARACTER = Uint8Array.of(0xef, 0xbf, 0xbd);

/**
 * The library's `OneCharLen`: the sequence length announced by a lead byte, from its high nibble
 * (0x0-0xB: 1, 0xC-0xD: 2, 0xE: 3, 0xF: 4). Continuation bytes count as 1.
 */
export function leadByteLength(byte: number): number {
  const nibble = byte >> 4;
  return nibble < 12 ? 1 : nibble < 14 ? 2 : nibble === 14 ? 3 : 4;
}

function isTrailByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * The library's `IsValidDecodeUTF8`: the length (1-4) of the well-formed character at `position`,
 * or 0 when the bytes there are malformed (the library then consumes one byte and substitutes
 * U+FFFD). `end` bounds the read.
 */
export function validCharacterLength(bytes: Uint8Array, position: number, end: number): number {
  const lead = bytes[position]!;
  if (lead < 0x80) return 1;
  const available = end - position;
  if (available >= 2 && (lead & 0xe0) === 0xc0) {
    const second = bytes[position + 1]!;
    const codePoint = ((lead & 0x1f) << 6) | (second & 0x3f);
    return isTrailByte(second) && codePoint >= 0x80 ? 2 : 0;
  }
  if (available >= 3 && (lead & 0xf0) === 0xe0) {
    const second = bytes[position + 1]!;
    const third = bytes[position + 2]!;
    const codePoint = ((lead & 0x0f) << 12) | ((second & 0x3f) << 6) | (third & 0x3f);
    const valid =
      isTrailByte(second) && isTrailByte(third) && codePoint >= 0x800 && (codePoint < 0xd800 || codePoint >= 0xe000);
    return valid ? 3 : 0;
  }
  if (available >= 4 && (lead & 0xf8) === 0xf0) {
    const second = bytes[position + 1]!;
    const third = bytes[position + 2]!;
    const fourth = bytes[position + 3]!;
    const codePoint = ((lead & 0x07) << 18) | ((second & 0x3f) << 12) | ((third & 0x3f) << 6) | (fourth & 0x3f);
    const valid =
      isTrailByte(second) && isTrailByte(third) && isTrailByte(fourth) && codePoint >= 0x10000 && codePoint <= 0x10ffff;
    return valid ? 4 : 0;
  }
  return 0;
}

/** A growable byte buffer reused across calls, so encoding does not allocate per character. */
export class ByteBuffer {
  bytes: Uint8Array;
  length = 0;

  constructor(initialCapacity = 256) {
    this.bytes = new Uint8Array(initialCapacity);
  }

  clear(): void {
    this.length = 0;
  }

  reserve(additional: number): void {
    const needed = this.length + additional;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  push(byte: number): void {
    if (this.length === this.bytes.length) this.reserve(1);
    this.bytes[this.length++] = byte;
  }

  append(source: Uint8Array, start = 0, end = source.length): void {
    const count = end - start;
    this.reserve(count);
    if (count < 16) {
      for (let index = start; index < end; index++) this.bytes[this.length++] = source[index]!;
    } else {
      this.bytes.set(source.subarray(start, end), this.length);
      this.length += count;
    }
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Drops the storage when it has grown past `limit` bytes (after an exceptionally long input). */
  releaseIfLargerThan(limit: number): void {
    if (this.bytes.length > limit) {
      this.bytes = new Uint8Array(256);
      this.length = 0;
    }
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8');

/**
 * Encodes a JavaScript string as UTF-8 into `buffer` (replacing its contents). Lone surrogates
 * become U+FFFD, as `TextEncoder` does; SentencePiece itself only ever sees valid UTF-8 from a
 * string, so this matches what a caller of the C++ or Python library can pass.
 */
export function encodeStringInto(text: string, buffer: ByteBuffer): void {
  buffer.clear();
  buffer.reserve(text.length * 3);
  const { written } = textEncoder.encodeInto(text, buffer.bytes);
  buffer.length = written;
}

export function utf8ToString(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/**
 * One UTF-16 code unit per byte (0-255). Distinct byte strings give distinct keys, and keys
 * compare (`<`) in the same order as the bytes compare lexicographically.
 */
export function bytesToLatin1(bytes: Uint8Array): string {
  if (bytes.length <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let key = '';
  for (let start = 0; start < bytes.length; start += 4096) {
    key += String.fromCharCode.apply(null, bytes.subarray(start, start + 4096) as unknown as number[]);
  }
  return key;
}

/** Text of short UTF-8 strings such as vocabulary pieces, with a fast path for ASCII. */
export function shortUtf8ToString(bytes: Uint8Array): string {
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index]! >= 0x80) return textDecoder.decode(bytes);
  }
  return bytesToLatin1(bytes);
}

export function stringToUtf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}
