// Tests a backend may skip, each with the reason. The harness marks every skipped test in its
// name ("[skipped on wasm: …]") and vitest reports it as skipped: a skip is never silent.
//
// `test` is matched against "<describeBackends title> > <test name>": an exact full name skips
// one test, a bare title skips the whole block. Keep the reason concrete (what is missing and
// which issue will add it), and delete the entry when the backend catches up.

export interface SkipEntry {
  backend: string;
  test: string;
  reason: string;
}

export const skips: readonly SkipEntry[] = [
  // The reference backend is the twin every other backend is measured against: it skips nothing.
];

/** The skip entry for a test on a backend, if any. */
export function skipFor(backend: string, title: string, name: string): SkipEntry | undefined {
  const full = `${title} > ${name}`;
  return skips.find((entry) => entry.backend === backend && (entry.test === full || entry.test === title));
}
