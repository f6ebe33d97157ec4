// What a benchmark suite is: a file in src/suites/ whose default export implements `Suite`.
// `groups` lists the processes the suite runs in: peers whose thread count is fixed per process
// (onnxruntime-web's numThreads) need one process per thread count, and every ratio is taken
// between contenders of one group, measured in alternation in that process.
import type { CaseResult, MeasureOptions } from './harness.js';

export interface SuiteOptions extends MeasureOptions {
  /** Implementations to include (all when empty). */
  impls: string[];
  /** Smaller problem sizes, for a smoke run. */
  quick: boolean;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  readonly groups: readonly string[];
  run(group: string, options: SuiteOptions): Promise<CaseResult[]>;
  /** Lines printed under the table (targets, ratios), from every group's results. */
  summarize?(results: CaseResult[]): string[];
}
