// Messages between the fuzz runner (the vitest process) and the fuzz child (fuzz-child.ts).

export interface FuzzJob {
  family: string;
  seed: number;
  /** First case index and how many cases (a restarted child continues after a crash or hang). */
  start: number;
  count: number;
}

export interface ChildRequest {
  fixtures: string;
  scratch: string;
  jobs: FuzzJob[];
}

export type CaseOutcome =
  /** A TensorzooError whose message names a file of the preset: the expected failure. */
  | 'error'
  /** A TensorzooError that names no file. */
  | 'error-without-file'
  /** Anything else thrown (TypeError, RangeError, an HDF5 string ...). */
  | 'foreign-error'
  /** Success, output identical to the clean file's. */
  | 'ok-clean'
  /** Success with a different output: a mutation that leaves a valid file (data bytes, values). */
  | 'ok-changed'
  /** The parent's per-case timer ran out; the child was killed. */
  | 'hang'
  /** The child died during the case (abort, V8 fatal error, out of memory). */
  | 'crash';

export interface CaseReport {
  family: string;
  index: number;
  file: string;
  steps: string[];
  outcome: CaseOutcome;
  errorName?: string;
  message?: string;
  descriptorsBefore?: number;
  descriptorsAfter?: number;
}

export type ChildMessage =
  | { type: 'start'; family: string; index: number; file: string; steps: string[] }
  | ({ type: 'done' } & CaseReport)
  | { type: 'family-end'; family: string; descriptorsAtStart: number; descriptorsAtEnd: number }
  | { type: 'end'; peakRssBytes: number };
