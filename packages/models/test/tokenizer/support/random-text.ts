// Seeded generators of random and adversarial text for the differential tests. The generator is
// deterministic (mulberry32), so a failure reproduces from its seed and case index.

/** mulberry32: a small, fast 32-bit PRNG, good enough to spread test inputs. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }

  integer(minimum: number, maximumInclusive: number): number {
    return minimum + Math.floor(this.next() * (maximumInclusive - minimum + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** Code point ranges [first, last] of many scripts and of the characters normalizers care about. */
const codePointRanges: readonly (readonly [number, number])[] = [
  [0x20, 0x7e], // ASCII printable
  [0x20, 0x7e],
  [0x30, 0x39], // digits
  [0x00, 0x1f], // C0 controls, NUL included
  [0x7f, 0x9f], // DEL and C1 controls
  [0xa0, 0xff], // Latin-1 supplement (NBSP, accents)
  [0x100, 0x24f], // Latin extended
  [0x300, 0x36f], // combining diacritical marks
  [0x370, 0x3ff], // Greek
  [0x400, 0x4ff], // Cyrillic
  [0x590, 0x5ff], // Hebrew
  [0x600, 0x6ff], // Arabic
  [0x900, 0x97f], // Devanagari
  [0xe00, 0xe7f], // Thai
  [0x1100, 0x11ff], // Hangul Jamo
  [0x2000, 0x206f], // general punctuation, zero-width and bidi controls
  [0x2150, 0x218f], // number forms (Roman numerals)
  [0x2460, 0x24ff], // enclosed alphanumerics (circled digits)
  [0x2580, 0x259f], // block elements, including U+2581 itself
  [0x3000, 0x303f], // CJK punctuation, ideographic space
  [0x3040, 0x30ff], // Hiragana, Katakana
  [0x4e00, 0x9fff], // CJK ideographs
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfb00, 0xfb4f], // ligatures, presentation forms
  [0xfe00, 0xfe0f], // variation selectors
  [0xff00, 0xffef], // half-width and full-width forms
  [0xfff0, 0xffff], // specials: U+FFFD, noncharacters
  [0x1d400, 0x1d7ff], // mathematical alphanumerics (NFKC folds them)
  [0x1f300, 0x1faff], // emoji
  [0x1f1e6, 0x1f1ff], // regional indicators (flags)
  [0x20000, 0x2a6df], // CJK extension B
  [0xe0000, 0xe007f], // tags
  [0x10fff0, 0x10ffff], // the last planes' private use and noncharacters
];

/** Multi-code-point sequences that trip up naive tokenizers. */
const adversarialFragments: readonly string[] = [
  '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}', // family: ZWJ sequence
  '\u{1F3F3}\uFE0F\u200D\u{1F308}', // rainbow flag
  '\u{1F44D}\u{1F3FD}', // skin tone modifier
  '\u{1F1EB}\u{1F1F7}', // flag (regional indicator pair)
  'e\u0301', // combining acute
  'a\u0308\u0304\u0323', // stacked combining marks
  '\u1100\u1161\u11A8', // conjoining Hangul jamo
  '\uFB01', // fi ligature
  '\u2460\u2461', // circled digits
  '\uFF21\uFF42\uFF43', // full-width letters
  '\u3000', // ideographic space
  '\u00A0', // no-break space
  '\u200B', // zero-width space
  '\u2581', // the whitespace symbol itself
  '\u2581\u2581',
  '\uFFFD',
  '\u0000',
  '\u0000\u0000',
  '\t',
  '\n',
  '\r\n',
  '\uD800', // lone high surrogate
  '\uDC00', // lone low surrogate
  '\uDBFF\uDBFF', // two high surrogates
  '<bos>',
  '<eos>',
  '<pad>',
  '<unk>',
  '<mask>',
  '<start_of_turn>',
  '<end_of_turn>',
  '<start_of_turn>user\n',
  '<end_of_turn>\n<start_of_turn>model\n',
  '<start_of_tur',
  '<<start_of_turn>>',
  '< bos >',
  '<0x41>',
  '<0xZZ>',
  '<s>',
  '</s>',
  '[CLS]',
  '[MASK]',
  '(',
  ')',
  '"',
  '–',
  '£',
  '€',
  'def forward(self, x):\n    return x',
  '    ',
  '\t\t',
  '12345678901234567890',
  '3.14159',
  'the quick brown fox',
  'The Quick Brown Fox.',
  'naïve café émigré',
  '日本語のテキスト',
  'Привет мир',
  'مرحبا بالعالم',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  '안녕하세요 세계',
];

const words: readonly string[] = [
  'the', 'of', 'and', 'to', 'in', 'is', 'you', 'that', 'it', 'he', 'was', 'for', 'on', 'are', 'as', 'with',
  'return', 'function', 'import', 'class', 'self', 'print', 'tokenizer', 'piece', 'gemma', 'unbelievable',
  'antidisestablishmentarianism', 'hello', 'world', 'Hello', 'WORLD', 'x', 'y', 'z', 'i', 'a',
];

function randomCodePoint(random: SeededRandom): string {
  const [first, last] = random.pick(codePointRanges);
  const codePoint = random.integer(first, last);
  // Surrogate code points cannot be written with fromCodePoint pairs; emit the lone code unit.
  return String.fromCodePoint(codePoint);
}

function randomWhitespaceRun(random: SeededRandom): string {
  const kinds = [' ', ' ', ' ', '\t', '\n', '\u3000', '\u00A0', '\r'];
  const length = random.integer(1, random.next() < 0.1 ? 300 : 12);
  let run = '';
  for (let index = 0; index < length; index++) run += random.next() < 0.7 ? ' ' : random.pick(kinds);
  return run;
}

function randomLongWord(random: SeededRandom): string {
  const alphabet = random.next() < 0.5 ? 'abcdefghijklmnopqrstuvwxyz' : 'aeiouxyzq0123456789';
  const length = random.integer(50, random.next() < 0.2 ? 2000 : 300);
  let word = '';
  for (let index = 0; index < length; index++) word += alphabet[random.integer(0, alphabet.length - 1)];
  return word;
}

/** One random string mixing words, random code points, adversarial fragments and whitespace. */
export function randomText(random: SeededRandom): string {
  const parts: string[] = [];
  const partCount = random.integer(0, 24);
  for (let index = 0; index < partCount; index++) {
    const choice = random.next();
    if (choice < 0.3) parts.push(random.pick(words));
    else if (choice < 0.55) parts.push(randomCodePoint(random));
    else if (choice < 0.75) parts.push(random.pick(adversarialFragments));
    else if (choice < 0.9) parts.push(randomWhitespaceRun(random));
    else if (choice < 0.95) parts.push(String(random.integer(0, 10 ** random.integer(1, 12))));
    else parts.push(randomLongWord(random));
    if (random.next() < 0.5) parts.push(' ');
  }
  return parts.join('');
}

/** `count` deterministic strings from `seed`, starting with every adversarial fragment alone. */
export function randomTexts(seed: number, count: number): string[] {
  const random = new SeededRandom(seed);
  const texts: string[] = ['', ' ', '  ', '\u2581', ...adversarialFragments];
  while (texts.length < count) texts.push(randomText(random));
  return texts;
}

/** Random bytes, biased towards UTF-8 lead/continuation bytes, to test malformed input. */
export function randomBytes(random: SeededRandom): Uint8Array {
  const length = random.integer(0, 40);
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) {
    const choice = random.next();
    bytes[index] =
      choice < 0.4 ? random.integer(0x20, 0x7e) : choice < 0.7 ? random.integer(0x80, 0xbf) : choice < 0.95 ? random.integer(0xc0, 0xff) : random.integer(0, 0x1f);
  }
  return bytes;
}
