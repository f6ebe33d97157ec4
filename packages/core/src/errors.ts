// Errors name the op, the argument, what was expected and what was received.

export class TensorzooError extends Error {
  override name = 'TensorzooError';
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'object' && 'shape' in (value as object) && 'dtype' in (value as object)) {
    const tensorLike = value as { shape: readonly number[]; dtype: string };
    const article = /^[aeiou]/.test(tensorLike.dtype) ? 'an' : 'a';
    return `${article} ${tensorLike.dtype} tensor of shape [${tensorLike.shape.join(', ')}]`;
  }
  return String(value);
}

/** Throws `op: argument 'name' expected …, received …`. */
export function argumentError(op: string, argument: string, expected: string, received: unknown): never {
  const receivedText = typeof received === 'string' ? received : describe(received);
  throw new TensorzooError(`${op}: argument '${argument}' expected ${expected}, received ${receivedText}`);
}

export function check(condition: boolean, op: string, argument: string, expected: string, received: () => unknown): void {
  if (!condition) argumentError(op, argument, expected, received());
}
