// The data behind the charts, on the fixture results and on the committed benchmarks/results.
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { dateOf, parseResultFile, ResultsFormatError } from '../src/results.js';
import {
  historyChart, implNames, latestRun, machineKeys, phaseOf, primaryMetric, ratioChart, suiteNames, threadCounts, throughputCharts,
  type Filters,
} from '../src/views.js';
import { readResults } from '../vite.config.js';

const fixtureDir = fileURLToPath(new URL('./fixtures/results', import.meta.url));
const committedDir = fileURLToPath(new URL('../../../benchmarks/results', import.meta.url));
const files = readResults(fixtureDir);
const everything = (machine: string): Filters => ({ machine, suite: '', impls: new Set(implNames(files)), threads: new Set(threadCounts(files)) });
const machineA = machineKeys(files).find((key) => key.includes('CPU A'))!;

describe('results files', () => {
  test('every committed results file is well-formed', () => {
    const names = existsSync(committedDir) ? readdirSync(committedDir).filter((name) => name.endsWith('.json')) : [];
    const committed = readResults(committedDir);
    expect(committed.map((file) => file.file)).toEqual(names.sort());
    for (const file of committed) expect(file.cases.length, file.file).toBeGreaterThan(0);
  });

  test('malformed files are refused with the file and field named', () => {
    expect(() => parseResultFile('x.json', [])).toThrow(ResultsFormatError);
    expect(() => parseResultFile('x.json', { cases: [] })).toThrow(/x\.json: missing "machine"/);
    const machine = { cpu: 'c', cores: 2, node: 'v20', os: 'Linux' };
    expect(() => parseResultFile('x.json', { machine })).toThrow(/missing "cases"/);
    expect(() => parseResultFile('x.json', { machine: { ...machine, cores: '2' } })).toThrow(/machine\.cores/);
    const good = { suite: 'matmul', name: 'matmul-256', impl: 'ort-web', threads: 1, metric: 'time', unit: 'ms', median: 1, min: 1, max: 1, samples: 3 };
    expect(parseResultFile('matmul-2026-01-02.json', { machine, cases: [good] }).date).toBe('2026-01-02');
    expect(() => parseResultFile('x.json', { machine, cases: [{ ...good, median: 'fast' }] })).toThrow(/cases\[0\]\.median/);
    expect(() => parseResultFile('x.json', { machine, cases: [{ ...good, median: Number.NaN }] })).toThrow(/finite/);
    expect(dateOf('model.json')).toBe('');
  });
});

describe('chart data', () => {
  test('filter choices', () => {
    expect(machineKeys(files)).toHaveLength(2);
    expect(suiteNames(files)).toEqual(['matmul', 'model']);
    expect(implNames(files).slice(0, 3)).toEqual(['tensorzoo-reference', 'tensorzoo-tokenizer', 'tensorzoo-wasm']);
    expect(implNames(files)).toContain('sentencepiece-wasm');
    expect(threadCounts(files)).toEqual([1, 2]);
  });

  test('throughput per kernel and size, newest run of the machine', () => {
    const run = latestRun(files, everything(machineA), 'matmul')!;
    expect(run.file.file).toBe('matmul-2026-11-20.json');
    const charts = throughputCharts('matmul', run.cases, everything(machineA));
    expect(charts.map((chart) => chart.title)).toEqual(['matmul: GFLOP/s by size', 'gemv: GFLOP/s by size', 'gemv: GB/s by size']);
    const matmul = charts[0]!;
    expect(matmul.labels).toEqual(['256', '512']);
    // tensorzoo-wasm ×1 was measured in both process groups, so it is shown once per group.
    expect(matmul.series.map((series) => series.label)).toContain('tensorzoo-wasm ×1 (threads-1)');
    expect(matmul.series.map((series) => series.label)).toContain('tensorzoo-wasm ×2');
    const wasm = matmul.series.find((series) => series.label === 'tensorzoo-wasm ×2')!;
    expect(wasm.values).toEqual([38, 38]);
    expect(wasm.ranges[0]).toEqual([36.1, 39.52]);
  });

  test('ratio to each peer within one process group and thread count', () => {
    const run = latestRun(files, everything(machineA), 'matmul')!;
    const ratio = ratioChart('matmul', run.cases, everything(machineA))!;
    const byLabel = Object.fromEntries(ratio.series.map((series) => [series.label, series.values]));
    expect(byLabel['vs ort-node ×1']![0]).toBeCloseTo(20 / 30, 10);
    expect(byLabel['vs ort-node ×2']![0]).toBeCloseTo(38 / 55, 10);
    expect(Object.keys(byLabel)).not.toContain('vs tensorzoo-reference ×1');
    const withoutOurs = { ...everything(machineA), impls: new Set(['ort-node', 'ort-web']) };
    expect(ratioChart('matmul', run.cases, withoutOurs)).toBeUndefined();
  });

  test('history across files of one machine, oldest first', () => {
    const history = historyChart(files, everything(machineA), 'matmul', 'matmul-512')!;
    expect(history.labels).toEqual(['2026-11-01', '2026-11-20']);
    const wasm = history.series.find((series) => series.label === 'tensorzoo-wasm ×2')!;
    expect(wasm.values[0]).toBeCloseTo(38 * 0.8, 10);
    expect(wasm.values[1]).toBeCloseTo(38, 10);
    expect(historyChart(files, everything(''), 'matmul', 'matmul-512')!.labels).toHaveLength(3);
  });

  test('model suite: prefill and decode charts in tokens/s', () => {
    const run = latestRun(files, everything(machineA), 'model')!;
    expect(primaryMetric(run.cases)).toBe('tokens/s');
    const charts = throughputCharts('model', run.cases, everything(machineA), phaseOf);
    expect(charts.map((chart) => chart.title)).toEqual(['prefill: tokens/s by size', 'decode: tokens/s by size', 'tokenize: MB/s by size']);
    // The tokenizer case compares tensorzoo's tokenizer with the SentencePiece library, in MB/s.
    const ratio = ratioChart('model', run.cases, everything(machineA))!;
    expect(ratio.labels).toEqual(['prefill-32', 'prefill-128', 'decode-32', 'decode-128', 'tokenize']);
    expect(ratio.title).toContain('tokens/s / MB/s');
    const library = ratio.series.find((series) => series.label === 'vs sentencepiece-wasm ×1')!;
    expect(library.values).toEqual([null, null, null, null, 1.25]);
    expect(library.ranges).toHaveLength(5);
    expect(charts[1]!.labels).toEqual(['decode-32', 'decode-128']);
    const machineB = machineKeys(files).find((key) => key.includes('CPU B'))!;
    expect(latestRun(files, everything(machineB), 'model')).toBeUndefined();
  });

  test('a backend filter removes its series', () => {
    const run = latestRun(files, everything(machineA), 'matmul')!;
    const all = throughputCharts('matmul', run.cases, everything(machineA))[0]!;
    const filters = { ...everything(machineA), impls: new Set(['tensorzoo-wasm', 'ort-web']) };
    const some = throughputCharts('matmul', run.cases, filters)[0]!;
    expect(some.series.length).toBeLessThan(all.series.length);
    expect(new Set(some.series.map((series) => series.impl))).toEqual(new Set(['tensorzoo-wasm', 'ort-web']));
  });
});
