// VitePress data loader: the newest results file of each benchmark suite, read at build time, as
// rows for docs/benchmarks.md: each case's main metric (median [min–max]) and tensorzoo's ratio to each peer.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { chronological, parseResultFile, type CaseResult, type ResultFile } from '../../dashboard/src/results.js';

export interface BenchmarkRow {
  name: string;
  impl: string;
  threads: number;
  metric: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** Our implementation ÷ this one (same thread count and process group); null for ours. */
  ratio: number | null;
}

export interface BenchmarkSuite {
  suite: string;
  file: string;
  machine: string;
  rows: BenchmarkRow[];
}

/** A case's main metric: GFLOP/s where measured, else a tokens metric, else its first throughput. */
function mainMetric(cases: CaseResult[]): string | undefined {
  const metrics = [...new Set(cases.map((entry) => entry.metric).filter((metric) => metric !== 'time'))];
  return metrics.find((metric) => metric === 'GFLOP/s') ?? metrics.find((metric) => /token/i.test(metric)) ?? metrics[0];
}

/** Ours in a case: tensorzoo-wasm, else another tensorzoo implementation (e.g. the tokenizer) except the reference. */
function oursIn(cases: CaseResult[]): string | undefined {
  const impls = [...new Set(cases.map((entry) => entry.impl))];
  return impls.includes('tensorzoo-wasm') ? 'tensorzoo-wasm' : impls.find((impl) => impl.startsWith('tensorzoo') && impl !== 'tensorzoo-reference');
}

export function summarize(files: ResultFile[]): BenchmarkSuite[] {
  const newestFirst = chronological(files).reverse();
  const suites = [...new Set(files.flatMap((file) => file.cases.map((entry) => entry.suite)))].sort();
  return suites.map((suite) => {
    const file = newestFirst.find((candidate) => candidate.cases.some((entry) => entry.suite === suite))!;
    const cases = file.cases.filter((entry) => entry.suite === suite);
    const rows = [...new Set(cases.map((entry) => entry.name))].flatMap((name) => {
      const ofCase = cases.filter((entry) => entry.name === name);
      const metric = mainMetric(ofCase);
      const ours = oursIn(ofCase);
      const measured = ofCase.filter((entry) => entry.metric === metric);
      return measured.map((entry): BenchmarkRow => {
        const mine = measured.find((other) => other.impl === ours && other.threads === entry.threads && other.group === entry.group);
        const ratio = entry.impl.startsWith('tensorzoo') || !mine || entry.median <= 0 ? null : mine.median / entry.median;
        return { name, impl: entry.impl, threads: entry.threads, metric: entry.metric, unit: entry.unit, median: entry.median, min: entry.min, max: entry.max, ratio };
      });
    });
    const { machine } = file;
    return { suite, file: file.file, machine: `${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}`, rows };
  });
}

export default {
  watch: ['../../../benchmarks/results/*.json'],
  load(paths: string[]): BenchmarkSuite[] {
    const files = paths.map((path) => parseResultFile(basename(path), JSON.parse(readFileSync(path, 'utf8'))));
    return summarize(files);
  },
};
