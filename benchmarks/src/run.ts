// `npm run bench -- <suite> [--quick] [--impl a,b] [--rounds n] [--relaxed-simd]`: runs a suite
// (a file in src/suites/), one child process per suite group, prints a table and writes
// benchmarks/results/<suite>-<YYYY-MM-DD>.json as {machine, cases}. `--relaxed-simd` runs the
// children with V8's --experimental-wasm-relaxed-simd (on by default in newer V8s): tensorzoo then
// picks its relaxed-SIMD build; its groups are suffixed "+relaxed-simd", its file too.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, type CaseResult } from './harness.js';
import type { Suite, SuiteOptions } from './suite.js';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, '..', 'results');

interface Cli {
  suite: string;
  group?: string;
  out?: string;
  relaxedSimd: boolean;
  options: SuiteOptions;
}

const RELAXED = '+relaxed-simd';

function availableSuites(): string[] {
  return readdirSync(join(here, 'suites')).filter((file) => file.endsWith('.js')).map((file) => file.slice(0, -3)).sort();
}

function parse(argv: string[]): Cli {
  const options: SuiteOptions = { impls: [], quick: false, rounds: 0, warmupMs: 400, minSampleMs: 25 };
  let suite: string | undefined;
  let group: string | undefined;
  let out: string | undefined;
  let relaxedSimd = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`bench: ${arg} expects a value`);
      return next;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--impl') options.impls = value().split(',').filter(Boolean);
    else if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--group') group = value();
    else if (arg === '--out') out = value();
    else if (arg === '--relaxed-simd') relaxedSimd = true;
    else if (arg.startsWith('--')) throw new Error(`bench: unknown option ${arg}`);
    else suite = arg;
  }
  if (!suite) throw new Error(`usage: npm run bench -- <suite> [--quick] [--impl a,b] [--rounds n]; suites: ${availableSuites().join(', ')}`);
  if (!availableSuites().includes(suite)) throw new Error(`bench: unknown suite '${suite}'; suites: ${availableSuites().join(', ')}`);
  return { suite, group, out, relaxedSimd, options };
}

async function loadSuite(name: string): Promise<Suite> {
  return ((await import(`./suites/${name}.js`)) as { default: Suite }).default;
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(results: CaseResult[]): string {
  const rows: string[][] = [['case', 'impl', 'threads', 'group', 'median ms', 'GFLOP/s median [min–max]', 'GB/s', 'vs ort-web']];
  const timeRows = results.filter((r) => r.metric === 'time');
  for (const time of timeRows) {
    const same = (metric: string, impl = time.impl, threads = time.threads) =>
      results.find((r) => r.name === time.name && r.impl === impl && r.threads === threads && r.group === time.group && r.metric === metric);
    const flops = same('GFLOP/s');
    const bandwidth = same('GB/s');
    const ort = same('GFLOP/s', 'ort-web', time.threads);
    rows.push([
      time.name, time.impl, String(time.threads), time.group, format(time.median),
      flops ? `${format(flops.median)} [${format(flops.min)}–${format(flops.max)}]` : '',
      bandwidth ? format(bandwidth.median) : '',
      flops && ort && time.impl !== 'ort-web' ? `${(flops.median / ort.median).toFixed(2)}×` : '',
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const cli = parse(process.argv.slice(2));
  const suite = await loadSuite(cli.suite);
  if (cli.group !== undefined) {
    // A child: measure one group and hand the results back through a file.
    const group = cli.group.endsWith(RELAXED) ? cli.group.slice(0, -RELAXED.length) : cli.group;
    const results = await suite.run(group, cli.options);
    writeFileSync(cli.out!, JSON.stringify(results.map((result) => ({ ...result, group: cli.group! }))));
    process.exit(0); // worker pools and native sessions must not keep the child alive
  }
  const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-bench-'));
  // The host's load averages (1, 5, 15 min) around the run: other processes skew every ratio.
  const loadStart = loadavg();
  const results: CaseResult[] = [];
  for (const baseGroup of suite.groups) {
    const group = cli.relaxedSimd ? `${baseGroup}${RELAXED}` : baseGroup;
    const out = join(scratch, `${group}.json`);
    const flags = cli.relaxedSimd ? ['--experimental-wasm-relaxed-simd'] : [];
    const args = [...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--group', group, '--out', out];
    process.stderr.write(`bench: ${suite.name} group ${group}\n`);
    execFileSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    results.push(...(JSON.parse(readFileSync(out, 'utf8')) as CaseResult[]));
  }
  console.log(`\n${suite.name}: ${suite.description}\n`);
  console.log(table(results));
  const summary = suite.summarize?.(results) ?? [];
  if (summary.length) console.log(`\n${summary.join('\n')}`);
  mkdirSync(resultsDir, { recursive: true });
  const variant = `${cli.options.quick ? '-quick' : ''}${cli.relaxedSimd ? '-relaxed-simd' : ''}`;
  const file = join(resultsDir, `${suite.name}${variant}-${new Date().toISOString().slice(0, 10)}.json`);
  const hostLoad = { start: loadStart.map((value) => Number(value.toFixed(2))), end: loadavg().map((value) => Number(value.toFixed(2))) };
  console.log(`host load average (1/5/15 min): ${hostLoad.start.join(' ')} at the start, ${hostLoad.end.join(' ')} at the end`);
  // The V8 flags every measuring child ran with (relaxed SIMD picks tensorzoo's relaxed build).
  const v8Flags = [...process.execArgv, ...(cli.relaxedSimd ? ['--experimental-wasm-relaxed-simd'] : [])];
  writeFileSync(file, `${JSON.stringify({ machine: { ...machine(), hostLoad, v8Flags }, cases: results }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
