// Layer names as Keras makes them: the class name in snake_case, made unique per process by a
// counter per prefix ('einsum_dense', 'einsum_dense_1', …). Given names are used as they are.

/**
 * Keras's snake_case of a class name: drop non-word characters, put '_' before an uppercase letter
 * that starts a lowercase run, then between a lowercase and an uppercase letter, then lower-case.
 * `RMSNormalization` → `rms_normalization`, `EinsumDense` → `einsum_dense`.
 */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const counters = new Map<string, number>();

/** `prefix` the first time, then `prefix_1`, `prefix_2`, … (Keras's `auto_name`). */
export function uniqueName(prefix: string): string {
  const count = counters.get(prefix) ?? 0;
  counters.set(prefix, count + 1);
  return count === 0 ? prefix : `${prefix}_${count}`;
}

/** Forgets every auto-name counter (Keras's `clear_session` does this); for tests and fresh models. */
export function resetLayerNames(): void {
  counters.clear();
}
