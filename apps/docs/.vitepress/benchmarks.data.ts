// VitePress data loader: the newest results file of each benchmark suite, read at build time, as
// rows for docs/benchmarks.md (the median of the suite's main metric, and tensorzoo-wasm's ratio).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { chronological, parseResultFile, type CaseResult, type ResultFile } from '../../dashboard/src/results.js';

export interface BenchmarkRow {
  name: string;
  impl: string;
  threads: number;
  median: number;
  min: number;
  max: number;
  /** tensorzoo-wasm ÷ this implementation (same thread count and process group); null for ours. */
  ratio: number | null;
}

export interface BenchmarkSuite {
  suite: string;
  file: string;
  machine: string;
  metric: string;
  unit: string;
  rows: BenchmarkRow[];
}

const ours = 'tensorzoo-wasm';

function mainMetric(cases: CaseResult[]): string | undefined {
  const metrics = [...new Set(cases.map((entry) => entry.metric).filter((metric) => metric !== 'time'))];
  return metrics.find((metric) => metric === 'GFLOP/s') ?? metrics.find((metric) => /token/i.test(metric)) ?? metrics[0];
}

export function summarize(files: ResultFile[]): BenchmarkSuite[] {
  const newestFirst = chronological(files).reverse();
  const suites = [...new Set(files.flatMap((file) => file.cases.map((entry) => entry.suite)))].sort();
  return suites.flatMap((suite) => {
    const file = newestFirst.find((candidate) => candidate.cases.some((entry) => entry.suite === suite))!;
    const cases = file.cases.filter((entry) => entry.suite === suite);
    const metric = mainMetric(cases);
    if (!metric) return [];
    const measured = cases.filter((entry) => entry.metric === metric);
    const rows = measured.map((entry) => {
      const reference = measured.find((other) => other.impl === ours && other.name === entry.name && other.threads === entry.threads && other.group === entry.group);
      const ratio = entry.impl.startsWith('tensorzoo') || !reference || entry.median <= 0 ? null : reference.median / entry.median;
      return { name: entry.name, impl: entry.impl, threads: entry.threads, median: entry.median, min: entry.min, max: entry.max, ratio };
    });
    const { machine } = file;
    return [{ suite, file: file.file, machine: `${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}`, metric, unit: measured[0]!.unit, rows }];
  });
}

export default {
  watch: ['../../../benchmarks/results/*.json'],
  load(paths: string[]): BenchmarkSuite[] {
    const files = paths.map((path) => parseResultFile(basename(path), JSON.parse(readFileSync(path, 'utf8'))));
    return summarize(files);
  },
};
