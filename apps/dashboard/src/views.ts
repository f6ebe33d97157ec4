// Turns results files into what the charts show: the choices offered by the filters, throughput
// per kernel and size, our ratio to each peer, and a metric's history across results files.
// Pure functions of the data, so the tests can check them without a browser.
import { chronological, type CaseResult, type Machine, type ResultFile } from './results.js';

export interface Filters {
  /** A machineKey; '' for every machine. */
  machine: string;
  /** A suite name; '' for every suite. */
  suite: string;
  /** Implementations (backends) shown. */
  impls: ReadonlySet<string>;
  /** Thread counts shown. */
  threads: ReadonlySet<number>;
}

export interface Series {
  label: string;
  impl: string;
  threads: number;
  values: (number | null)[];
  /** [min, max] of the samples behind each value, where known. */
  ranges: ([number, number] | null)[];
}

export interface ChartData {
  id: string;
  title: string;
  unit: string;
  labels: string[];
  series: Series[];
}

/** The implementation whose ratio to each peer is shown. */
export const OURS = 'tensorzoo-wasm';
export const isOurs = (impl: string) => impl.startsWith('tensorzoo');

export const machineKey = (machine: Machine) => `${machine.cpu} · ${machine.cores} cores · ${machine.os}`;

const unique = <T>(values: Iterable<T>) => [...new Set(values)];

export function machineKeys(files: ResultFile[]): string[] {
  return unique(files.map((file) => machineKey(file.machine))).sort();
}

export function filesOn(files: ResultFile[], machine: string): ResultFile[] {
  return chronological(machine ? files.filter((file) => machineKey(file.machine) === machine) : files);
}

export function suiteNames(files: ResultFile[]): string[] {
  return unique(files.flatMap((file) => file.cases.map((entry) => entry.suite))).sort();
}

export function implNames(files: ResultFile[]): string[] {
  const names = unique(files.flatMap((file) => file.cases.map((entry) => entry.impl)));
  // Ours first, then the peers, each alphabetically.
  return names.sort((a, b) => Number(isOurs(b)) - Number(isOurs(a)) || a.localeCompare(b));
}

export function threadCounts(files: ResultFile[]): number[] {
  return unique(files.flatMap((file) => file.cases.map((entry) => entry.threads))).sort((a, b) => a - b);
}

/** The cases of `suite` from the newest file (on the filtered machine) that has that suite. */
export function latestRun(files: ResultFile[], filters: Filters, suite: string): { file: ResultFile; cases: CaseResult[] } | undefined {
  const newestFirst = filesOn(files, filters.machine).reverse();
  for (const file of newestFirst) {
    const cases = file.cases.filter((entry) => entry.suite === suite);
    if (cases.length > 0) return { file, cases };
  }
  return undefined;
}

export const shown = (entry: CaseResult, filters: Filters) => filters.impls.has(entry.impl) && filters.threads.has(entry.threads);

/** Splits a case name into kernel and size at its first '-': `matmul-512` → matmul, 512. */
export function kernelOf(name: string): { kernel: string; size: string } {
  const dash = name.indexOf('-');
  return dash < 0 ? { kernel: name, size: name } : { kernel: name.slice(0, dash), size: name.slice(dash + 1) };
}

/** Throughput metrics of a set of cases (every metric except the raw time). */
export function throughputMetrics(cases: CaseResult[]): string[] {
  return unique(cases.filter((entry) => entry.metric !== 'time').map((entry) => entry.metric));
}

/** The metric a suite is judged by: GFLOP/s where measured, else a tokens metric, else the first throughput. */
export function primaryMetric(cases: CaseResult[]): string | undefined {
  const metrics = throughputMetrics(cases);
  return metrics.find((metric) => metric === 'GFLOP/s') ?? metrics.find((metric) => /token/i.test(metric)) ?? metrics[0];
}

function seriesKey(entry: CaseResult, groupsOf: Map<string, Set<string>>): { key: string; label: string } {
  const base = `${entry.impl} ×${entry.threads}`;
  // One implementation at one thread count measured in several process groups is shown per group.
  const several = (groupsOf.get(base)?.size ?? 0) > 1;
  return several ? { key: `${base}|${entry.group}`, label: `${base} (${entry.group})` } : { key: base, label: base };
}

function groupsBySeries(cases: CaseResult[]): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const entry of cases) {
    const base = `${entry.impl} ×${entry.threads}`;
    if (!groups.has(base)) groups.set(base, new Set());
    groups.get(base)!.add(entry.group ?? '');
  }
  return groups;
}

/** One bar chart per throughput metric and kernel: x = size, one series per implementation and thread count. */
export function throughputCharts(suite: string, cases: CaseResult[], filters: Filters, split = kernelOf): ChartData[] {
  const visible = cases.filter((entry) => shown(entry, filters));
  const groups = groupsBySeries(visible);
  const charts: ChartData[] = [];
  for (const metric of throughputMetrics(visible)) {
    const ofMetric = visible.filter((entry) => entry.metric === metric);
    for (const kernel of unique(ofMetric.map((entry) => split(entry.name).kernel))) {
      const ofKernel = ofMetric.filter((entry) => split(entry.name).kernel === kernel);
      const labels = unique(ofKernel.map((entry) => split(entry.name).size));
      const bySeries = new Map<string, Series>();
      for (const entry of ofKernel) {
        const { key, label } = seriesKey(entry, groups);
        if (!bySeries.has(key))
          bySeries.set(key, { label, impl: entry.impl, threads: entry.threads, values: labels.map(() => null), ranges: labels.map(() => null) });
        const column = labels.indexOf(split(entry.name).size);
        bySeries.get(key)!.values[column] = entry.median;
        bySeries.get(key)!.ranges[column] = [entry.min, entry.max];
      }
      charts.push({
        id: `${suite}-${metric}-${kernel}`.replace(/[^\w-]+/g, '_'),
        title: `${kernel}: ${metric} by size`,
        unit: ofKernel[0]!.unit,
        labels,
        series: [...bySeries.values()].sort((a, b) => implOrder(a.impl, b.impl) || a.threads - b.threads),
      });
    }
  }
  return charts;
}

const implOrder = (a: string, b: string) => Number(isOurs(b)) - Number(isOurs(a)) || a.localeCompare(b);

/** Which of our implementations a case compares: tensorzoo-wasm, else another tensorzoo-* except the reference. */
export function oursFor(cases: CaseResult[]): string | undefined {
  const impls = unique(cases.map((entry) => entry.impl));
  return impls.includes(OURS) ? OURS : impls.find((impl) => isOurs(impl) && impl !== 'tensorzoo-reference');
}

/**
 * Our ratio to each peer, per case on that case's main metric (a throughput, so > 1 means
 * tensorzoo is faster): ours and the peer at the same thread count, measured in the same process
 * group. Ours is tensorzoo-wasm (or, for a case without it, e.g. the tokenizer, the tensorzoo
 * implementation measured there).
 */
export function ratioChart(suite: string, cases: CaseResult[], filters: Filters): ChartData | undefined {
  const labels = unique(cases.map((entry) => entry.name));
  const bySeries = new Map<string, Series>();
  const metrics = new Set<string>();
  labels.forEach((name, column) => {
    const ofCase = cases.filter((entry) => entry.name === name);
    const metric = primaryMetric(ofCase);
    const ours = oursFor(ofCase);
    if (!metric || !ours) return;
    const measured = ofCase.filter((entry) => entry.metric === metric);
    for (const peer of measured) {
      if (isOurs(peer.impl) || !shown(peer, filters) || peer.median <= 0) continue;
      const mine = measured.find((entry) => entry.impl === ours && entry.threads === peer.threads && entry.group === peer.group);
      if (!mine || !shown(mine, filters)) continue;
      const label = `vs ${peer.impl} ×${peer.threads}`;
      if (!bySeries.has(label)) bySeries.set(label, { label, impl: peer.impl, threads: peer.threads, values: labels.map(() => null), ranges: labels.map(() => null) });
      bySeries.get(label)!.values[column] = mine.median / peer.median;
      metrics.add(metric);
    }
  });
  if (bySeries.size === 0) return undefined;
  // Cases without any ratio (no peer measured, or ours filtered out) are left out.
  const kept = labels.map((_, column) => [...bySeries.values()].some((series) => series.values[column] !== null));
  const keep = <T>(values: T[]) => values.filter((_, column) => kept[column]);
  return {
    id: `${suite}-ratio`.replace(/[^\w-]+/g, '_'),
    title: `tensorzoo ÷ peer, ${[...metrics].join(' / ')} (above 1: tensorzoo is faster)`,
    unit: '×',
    labels: keep(labels),
    series: [...bySeries.values()]
      .map((series) => ({ ...series, values: keep(series.values), ranges: keep(series.ranges) }))
      .sort((a, b) => a.impl.localeCompare(b.impl) || a.threads - b.threads),
  };
}

/** A case's primary metric across every results file of the filtered machine, oldest first. */
export function historyChart(files: ResultFile[], filters: Filters, suite: string, caseName: string): ChartData | undefined {
  const history = filesOn(files, filters.machine).filter((file) => file.cases.some((entry) => entry.suite === suite && entry.name === caseName));
  const all = history.flatMap((file) => file.cases.filter((entry) => entry.suite === suite && entry.name === caseName));
  const metric = primaryMetric(all);
  if (!metric) return undefined;
  const labels = history.map((file) => (filters.machine ? file.date || file.file : `${file.date || file.file} (${file.machine.cpu})`));
  const bySeries = new Map<string, Series>();
  history.forEach((file, column) => {
    const cases = file.cases.filter((entry) => entry.suite === suite && entry.name === caseName && entry.metric === metric && shown(entry, filters));
    const groups = groupsBySeries(cases);
    for (const entry of cases) {
      const { key, label } = seriesKey(entry, groups);
      if (!bySeries.has(key)) bySeries.set(key, { label, impl: entry.impl, threads: entry.threads, values: labels.map(() => null), ranges: labels.map(() => null) });
      bySeries.get(key)!.values[column] = entry.median;
      bySeries.get(key)!.ranges[column] = [entry.min, entry.max];
    }
  });
  if (bySeries.size === 0) return undefined;
  return {
    id: `${suite}-history`.replace(/[^\w-]+/g, '_'),
    title: `${caseName}: ${metric} across results files`,
    unit: all.find((entry) => entry.metric === metric)!.unit,
    labels,
    series: [...bySeries.values()].sort((a, b) => implOrder(a.impl, b.impl) || a.threads - b.threads),
  };
}

/**
 * The model suite's split: its charts are per phase (prefill, decode — whichever the case name
 * contains), each showing that phase's cases side by side.
 */
export function phaseOf(name: string): { kernel: string; size: string } {
  const phase = ['prefill', 'decode'].find((candidate) => name.toLowerCase().includes(candidate));
  return { kernel: phase ?? name, size: name };
}
