// Checks on what reaches a Gemma model before anything is allocated for it: token ids (integers
// in [0, vocabularySize), never coerced), padding masks (0/1 or booleans), and sequence lengths
// (the model's context length and the memory the attention and the cache would take). KerasHub
// checks none of these (docs/differences-from-kerashub.md): a bad value there is a backend error
// or a silently wrong output; here it is one error that gives the numbers.
import { totalmem } from 'node:os';
import { argumentError, TensorzooError } from '@tensorzoo/core';

/** What the checks need of a Gemma configuration. */
export interface SequenceLimitConfig {
  vocabularySize: number;
  numLayers: number;
  numQueryHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  hiddenDim: number;
}

/**
 * Gemma 1 and Gemma 2 are trained with a context of 8192 tokens (Gemma and Gemma 2 technical
 * reports); KerasHub's config does not store it, and rotary embeddings would run past it.
 */
export const gemmaContextLength = 8192;

/**
 * The memory a single call may plan for: TENSORZOO_MEMORY_BUDGET (bytes) when set, else half of
 * the machine's memory, at most 4 GiB (a wasm32 heap cannot hold more).
 */
export function memoryBudgetBytes(): number {
  const fromEnvironment = process.env.TENSORZOO_MEMORY_BUDGET;
  if (fromEnvironment !== undefined && /^\d+$/.test(fromEnvironment)) return Number(fromEnvironment);
  return Math.min(totalmem() / 2, 4 * 2 ** 30);
}

const gibibytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;

/**
 * Bytes one attention layer holds at its peak for `queryLength` queries over `keyLength` keys:
 * the float32 logits [B, N, T, S] and two same-sized intermediates (soft cap, softmax), plus the
 * global and sliding-window masks [B, T, S] (at most 4 bytes an entry on any backend).
 */
export function attentionBytes(config: SequenceLimitConfig, batch: number, queryLength: number, keyLength: number): number {
  return batch * queryLength * keyLength * (3 * config.numQueryHeads * 4 + 2 * 4);
}

/** Bytes of the generation cache: one float32 [B, 2, S, K, H] tensor per layer. */
export function cacheBytes(config: SequenceLimitConfig, batch: number, maxLength: number): number {
  return config.numLayers * batch * 2 * maxLength * config.numKeyValueHeads * config.headDim * 4;
}

/**
 * Refuses a sequence longer than the context, or one whose attention (and cache, when
 * `cacheLength` is given) would need more than the memory budget, before anything is built.
 * `argument` names what the caller passed (`tokenIds`, `maxLength`, `--max-length`).
 */
export function checkSequenceLength(
  op: string,
  argument: string,
  config: SequenceLimitConfig,
  shape: { batch: number; queryLength: number; keyLength: number; cacheLength?: number },
): void {
  const { batch, queryLength, keyLength, cacheLength } = shape;
  const longest = Math.max(keyLength, cacheLength ?? 0);
  const attention = attentionBytes(config, batch, queryLength, keyLength);
  const cache = cacheLength === undefined ? 0 : cacheBytes(config, batch, cacheLength);
  if (longest > gemmaContextLength)
    throw new TensorzooError(
      `${op}: ${argument} expected at most ${gemmaContextLength} tokens (the model's context length), received ${longest} (it would need about ${gibibytes(attention + cache)} for ${cacheLength === undefined ? 'the attention' : 'the attention and the cache'})`,
    );
  const budget = memoryBudgetBytes();
  if (attention + cache > budget) {
    const parts = [`attention [${batch}, ${config.numQueryHeads}, ${queryLength}, ${keyLength}] ${gibibytes(attention)}`];
    if (cacheLength !== undefined) parts.push(`cache of ${cacheLength} positions ${gibibytes(cache)}`);
    throw new TensorzooError(
      `${op}: ${argument} of ${longest} tokens (batch ${batch}) needs about ${gibibytes(attention + cache)} (${parts.join(', ')}), more than the ${gibibytes(budget)} allowed (TENSORZOO_MEMORY_BUDGET)`,
    );
  }
}

/** The longest generation (prompt included) that `checkSequenceLength` accepts for a batch and prompt length. */
export function maxGenerationLength(config: SequenceLimitConfig, batch: number, promptLength: number): number {
  const room = memoryBudgetBytes() - attentionBytes(config, batch, promptLength, promptLength);
  const perPosition = cacheBytes(config, batch, 1) + attentionBytes(config, batch, 1, 1);
  return Math.max(0, Math.min(gemmaContextLength, Math.floor(room / perPosition)));
}

/**
 * Nested [batch][sequence] token ids checked before they become an int32 tensor (which would
 * truncate 10.7 to 10, wrap 2^32 + 5 to 5 and turn "abc" or null into 0): every row an array of
 * the same length, every id an integer in [0, vocabularySize).
 */
export function checkTokenIdRows(op: string, argument: string, rows: unknown, vocabularySize: number): { batch: number; length: number } {
  if (!Array.isArray(rows) || rows.length === 0 || !Array.isArray(rows[0]))
    argumentError(op, argument, 'a non-empty [batch, sequence] array of token ids', Array.isArray(rows) ? `an array of ${rows.length === 0 ? 'nothing' : typeof rows[0]}` : String(rows));
  const length = (rows[0] as unknown[]).length;
  rows.forEach((row: unknown, rowIndex: number) => {
    if (!Array.isArray(row) || row.length !== length)
      argumentError(op, argument, `rows of equal length (${length})`, `row ${rowIndex}: ${Array.isArray(row) ? `${row.length} ids` : JSON.stringify(row)}`);
    row.forEach((id: unknown, column: number) => {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabularySize)
        argumentError(op, argument, `integer ids in [0, ${vocabularySize - 1}] (vocabularySize ${vocabularySize})`, `${JSON.stringify(id) ?? String(id)} at [${rowIndex}, ${column}]`);
    });
  });
  return { batch: rows.length, length };
}

/**
 * Padding-mask values, rows of `rowLength` from row `firstRow` on: each must be 0 or 1 (or a
 * boolean); 2, -1 and 0.5 would otherwise pass as "keep".
 */
export function checkPaddingValues(op: string, values: ArrayLike<unknown>, rowLength: number, firstRow = 0): void {
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value !== 0 && value !== 1 && value !== true && value !== false)
      argumentError(op, 'paddingMask', '0/1 (or false/true) values', `${JSON.stringify(value) ?? String(value)} at [${firstRow + Math.floor(index / rowLength)}, ${index % rowLength}]`);
  }
}
