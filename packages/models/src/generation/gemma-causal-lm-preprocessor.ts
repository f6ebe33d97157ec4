// GemmaCausalLMPreprocessor (KerasHub causal_lm_preprocessor.py + start_end_packer.py, spec §6.2).
import { argumentError } from '@tensorzoo/core';
import { gemmaContextLength } from '../gemma/input-checks.js';

/** What the preprocessor needs of a tokenizer (GemmaTokenizer satisfies it). */
export interface CausalLMTokenizer {
  /** One string gives one id list (GemmaTokenizer also takes batches). */
  tokenize(text: string): number[] | number[][];
  detokenize(ids: readonly number[]): string | string[];
  readonly startTokenId: number;
  readonly endTokenId: number;
  readonly padTokenId: number;
  vocabularySize(): number;
}

export interface PackedBatch {
  /** [B][T] token ids. */
  tokenIds: number[][];
  /** [B][T] 1 on kept tokens (BOS/EOS included), 0 on padding. */
  paddingMask: number[][];
}

export interface TrainingBatch {
  x: PackedBatch;
  /** [B][T] the next token at every position. */
  y: number[][];
  /** [B][T] 1 where y is a real token. */
  sampleWeight: number[][];
}

export interface PreprocessorConfig {
  sequenceLength?: number;
  addStartToken?: boolean;
  addEndToken?: boolean;
}

export class GemmaCausalLMPreprocessor {
  readonly tokenizer: CausalLMTokenizer;
  readonly sequenceLength: number;
  readonly addStartToken: boolean;
  readonly addEndToken: boolean;

  constructor(tokenizer: CausalLMTokenizer, config: PreprocessorConfig = {}) {
    this.tokenizer = tokenizer;
    this.sequenceLength = config.sequenceLength ?? 1024;
    this.addStartToken = config.addStartToken ?? true;
    this.addEndToken = config.addEndToken ?? true;
    if (!Number.isInteger(this.sequenceLength) || this.sequenceLength <= 0 || this.sequenceLength > gemmaContextLength)
      argumentError('GemmaCausalLMPreprocessor', 'sequenceLength', `a positive integer, at most ${gemmaContextLength} (Gemma's context length)`, String(this.sequenceLength));
  }

  /**
   * StartEndPacker: keep the first n − (start ? 1 : 0) − (end ? 1 : 0) tokens, add BOS/EOS,
   * right-pad with <pad> to n.
   */
  pack(rows: readonly (readonly number[])[], length: number, addStart: boolean, addEnd: boolean): PackedBatch {
    const tokenIds: number[][] = [];
    const paddingMask: number[][] = [];
    // Rows are padded to `length` here: bound it first (training packs sequenceLength + 1).
    if (!Number.isSafeInteger(length) || length > gemmaContextLength + 1)
      argumentError('GemmaCausalLMPreprocessor', 'sequenceLength', `an integer of at most ${gemmaContextLength} (Gemma's context length)`, String(length));
    const keep = length - (addStart ? 1 : 0) - (addEnd ? 1 : 0);
    if (keep < 0) argumentError('GemmaCausalLMPreprocessor', 'sequenceLength', `at least ${length - keep} to hold the start/end tokens`, String(length));
    for (const row of rows) {
      const ids = [...(addStart ? [this.tokenizer.startTokenId] : []), ...row.slice(0, keep), ...(addEnd ? [this.tokenizer.endTokenId] : [])];
      const mask = ids.map(() => 1);
      while (ids.length < length) {
        ids.push(this.tokenizer.padTokenId);
        mask.push(0);
      }
      tokenIds.push(ids);
      paddingMask.push(mask);
    }
    return { tokenIds, paddingMask };
  }

  private tokenizeAll(texts: string | readonly string[]): number[][] {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.some((text) => typeof text !== 'string'))
      argumentError('GemmaCausalLMPreprocessor', 'x', 'a string or an array of strings', typeof texts);
    return list.map((text) => this.tokenizer.tokenize(text) as number[]);
  }

  /** Training features: pack to sequenceLength + 1 with BOS and EOS, then shift by one. */
  call(texts: string | readonly string[], sequenceLength = this.sequenceLength): TrainingBatch {
    const packed = this.pack(this.tokenizeAll(texts), sequenceLength + 1, this.addStartToken, this.addEndToken);
    return {
      x: { tokenIds: packed.tokenIds.map((row) => row.slice(0, -1)), paddingMask: packed.paddingMask.map((row) => row.slice(0, -1)) },
      y: packed.tokenIds.map((row) => row.slice(1)),
      sampleWeight: packed.paddingMask.map((row) => row.slice(1)),
    };
  }

  /** Generation inputs: BOS, no EOS, right-padded to sequenceLength. */
  generatePreprocess(texts: string | readonly string[], sequenceLength = this.sequenceLength): PackedBatch {
    return this.pack(this.tokenizeAll(texts), sequenceLength, this.addStartToken, false);
  }

  /** Keeps masked-in positions that are not <bos>/<eos>/<pad>, then detokenizes each row. */
  generatePostprocess(batch: PackedBatch): string[] {
    const special = new Set([this.tokenizer.startTokenId, this.tokenizer.endTokenId, this.tokenizer.padTokenId]);
    return batch.tokenIds.map((row, rowIndex) =>
      this.tokenizer.detokenize(row.filter((id, column) => batch.paddingMask[rowIndex]![column] && !special.has(id))) as string,
    );
  }

  getConfig(): Record<string, unknown> {
    return { sequenceLength: this.sequenceLength, addStartToken: this.addStartToken, addEndToken: this.addEndToken };
  }
}
