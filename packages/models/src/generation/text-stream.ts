// Streaming text out of generated token ids: the incremental detokenizer and stop strings.

/** What the detokenizer needs of a tokenizer (GemmaTokenizer satisfies it). */
export interface DetokenizingTokenizer {
  detokenize(ids: readonly number[]): string | string[];
}

/**
 * Turns generated ids into text pieces as they arrive, with the text `tensorzoo generate` prints:
 * detokenize(prompt + generated) minus detokenize(prompt). Only a window is re-decoded: the
 * settled text before `prefixStart` never changes, because SentencePiece decoding is local except
 * for the leading space of the very first piece, which the window keeps by starting on a token it
 * does not emit (the last prompt token). A piece that ends inside a UTF-8 sequence (byte-fallback
 * pieces give U+FFFD until the sequence completes) is held back until it settles.
 */
export class IncrementalDetokenizer {
  private readonly tokenizer: DetokenizingTokenizer;
  private readonly ids: number[];
  private prefixStart = 0;
  private readStart: number;
  private emitted = '';

  /** @param lastPromptId the prompt's last token (its text is not emitted). */
  constructor(tokenizer: DetokenizingTokenizer, lastPromptId?: number) {
    this.tokenizer = tokenizer;
    this.ids = lastPromptId === undefined ? [] : [lastPromptId];
    this.readStart = this.ids.length;
  }

  /** Everything emitted so far. */
  get text(): string {
    return this.emitted;
  }

  /** Adds a generated id; returns the newly settled text ('' while a character is incomplete). */
  push(tokenId: number): string {
    this.ids.push(tokenId);
    const before = this.decode(this.prefixStart, this.readStart);
    const after = this.decode(this.prefixStart, this.ids.length);
    if (after.endsWith('\uFFFD') || after.length <= before.length || !after.startsWith(before)) return '';
    const piece = after.slice(before.length);
    this.prefixStart = this.readStart;
    this.readStart = this.ids.length;
    this.emitted += piece;
    return piece;
  }

  /** The held-back rest at the end of generation (an incomplete character decodes to U+FFFD). */
  flush(): string {
    const before = this.decode(this.prefixStart, this.readStart);
    const after = this.decode(this.prefixStart, this.ids.length);
    this.prefixStart = this.readStart = this.ids.length;
    const piece = after.startsWith(before) ? after.slice(before.length) : '';
    this.emitted += piece;
    return piece;
  }

  private decode(start: number, end: number): string {
    return start >= end ? '' : (this.tokenizer.detokenize(this.ids.slice(start, end)) as string);
  }
}

/**
 * Stop strings over streamed text (OpenAI's `stop`): text is released only once it cannot be the
 * start of a stop string; when one appears, the text before it is released and the rest dropped.
 */
export class StopStringMatcher {
  private readonly stops: readonly string[];
  private held = '';
  private stopped = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feeds new text; returns the text now safe to emit and whether a stop string matched. */
  push(piece: string): { text: string; stopped: boolean } {
    if (this.stopped) return { text: '', stopped: true };
    this.held += piece;
    let first = -1;
    for (const stop of this.stops) {
      const index = this.held.indexOf(stop);
      if (index >= 0 && (first < 0 || index < first)) first = index;
    }
    if (first >= 0) {
      const text = this.held.slice(0, first);
      this.held = '';
      this.stopped = true;
      return { text, stopped: true };
    }
    // Hold back the longest tail that is a proper prefix of some stop string.
    let keep = 0;
    for (const stop of this.stops)
      for (let length = Math.min(stop.length - 1, this.held.length); length > keep; length--)
        if (this.held.endsWith(stop.slice(0, length))) {
          keep = length;
          break;
        }
    const text = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return { text, stopped: false };
  }

  /** The held-back text at the end of generation. */
  flush(): string {
    const text = this.stopped ? '' : this.held;
    this.held = '';
    return text;
  }
}
