// The fuzz corpus (issue 19), part of `npm test`: seeded mutations of the fixtures' safetensors
// files and index, Keras .h5 files (headers and data) and sharded index, .lora.h5, vocabulary.spm
// and both kinds of config.json, each fed to the code that reads it, in a child process
// (fuzz-runner.ts). Every case must end in a TensorzooError naming a file of the preset, or
// succeed (with the clean output, or a different one when the mutation left a valid file: a data
// byte, a float value); never a crash, a hang (per-case timer), a file descriptor left open, other
// errors, a bounded-memory breach, or HDF5 diagnostics on stderr.
//
// Replay one case: TENSORZOO_FUZZ_SEED=<seed> and the family/index printed with a failure.
// More cases: TENSORZOO_FUZZ_SCALE=10 (the default corpus is sized to stay well within a minute).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

import type { FuzzJob } from './fuzz-protocol.js';
import { bundleFuzzChild, runFuzz, type FuzzRun } from './fuzz-runner.js';

const seed = Number(process.env.TENSORZOO_FUZZ_SEED ?? 20240519);
const scale = Number(process.env.TENSORZOO_FUZZ_SCALE ?? 1);
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Cases per family at scale 1 (chosen so the whole corpus runs in well under a minute here). */
const corpus: Record<string, number> = {
  safetensors: 120,
  'safetensors-index': 80,
  h5: 80,
  'h5-index': 60,
  lora: 60,
  spm: 80,
  'keras-config': 40,
  'hf-config': 40,
};

/** A case gets this long (cases take milliseconds, a model build ~0.1 s; margin for a loaded machine). */
const CASE_TIMEOUT_MS = 10_000;
/** Peak resident memory of a fuzz child: the fixtures are below 1 MB, a case needs far less. */
const PEAK_RSS_LIMIT = 1.5 * 2 ** 30;

let bundleFolder: string;
let run: FuzzRun;

beforeAll(async () => {
  // Inside the package, so the bundle resolves h5wasm from its node_modules like the sources do.
  const cache = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  bundleFolder = mkdtempSync(join(cache, 'tensorzoo-fuzz-'));
  const entry = await bundleFuzzChild(bundleFolder);
  const jobs: FuzzJob[] = Object.entries(corpus).map(([family, count]) => ({ family, seed, start: 0, count: Math.round(count * scale) }));
  run = await runFuzz(entry, fixtures, jobs, CASE_TIMEOUT_MS);
  const summary = Object.keys(corpus).map((family) => {
    const outcomes: Record<string, number> = {};
    for (const report of run.cases.filter((item) => item.family === family)) outcomes[report.outcome] = (outcomes[report.outcome] ?? 0) + 1;
    return `${family}: ${Object.entries(outcomes).map(([outcome, count]) => `${count} ${outcome}`).join(', ')}`;
  });
  console.log(`fuzz seed ${seed}: ${run.cases.length} cases, peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ${run.restarts} restarts\n  ${summary.join('\n  ')}`);
}, 600_000);

afterAll(() => rmSync(bundleFolder, { recursive: true, force: true }));

const describeCase = (report: FuzzRun['cases'][number]) =>
  `${report.family} #${report.index} (${report.file}: ${report.steps.join('; ')}): ${report.outcome}${report.message ? ` ${report.errorName}: ${report.message.slice(0, 300)}` : ''}`;

test('every case ran', () => {
  expect(run.cases.length).toBe(Object.values(corpus).reduce((total, count) => total + Math.round(count * scale), 0));
});

const HDF5_FAMILIES = new Set(['h5', 'h5-index', 'lora']);

test('no case crashed; no case hung outside HDF5', () => {
  expect(run.cases.filter((report) => report.outcome === 'crash').map(describeCase)).toEqual([]);
  expect(run.cases.filter((report) => report.outcome === 'hang' && !HDF5_FAMILIES.has(report.family)).map(describeCase)).toEqual([]);
});

/**
 * Known and not fixed (docs/contributing.md): a few corrupt .h5 files make HDF5's group walk run
 * for minutes inside h5wasm (h5 #33 of the default seed: one 4-byte change at byte 2054), which a
 * reader in the caller's thread cannot interrupt. Listed here and bounded, not hidden.
 */
test('HDF5 cases that ran past the per-case timer are listed, and rare', () => {
  const hung = run.cases.filter((report) => report.outcome === 'hang' && HDF5_FAMILIES.has(report.family));
  if (hung.length > 0) console.log(`known HDF5 long walks (cut by the ${CASE_TIMEOUT_MS / 1000} s timer): ${hung.map(describeCase).join('; ')}`);
  const hdf5Cases = run.cases.filter((report) => HDF5_FAMILIES.has(report.family)).length;
  expect(hung.length).toBeLessThanOrEqual(Math.ceil(hdf5Cases * 0.01));
});

test('every failure is a TensorzooError naming a file', () => {
  expect(run.cases.filter((report) => report.outcome === 'foreign-error' || report.outcome === 'error-without-file').map(describeCase)).toEqual([]);
});

/**
 * The one known leak, not fixed: when an HDF5 file opens but its group walk fails (a corrupt local
 * heap or symbol table), h5wasm's throwing error handler has left group ids open inside HDF5, so
 * H5Fclose (weak close degree, not settable through h5wasm) keeps the file and its descriptor
 * open. Exactly one descriptor per such file (checked below) and listed by this test's output:
 * about one h5 case in four of the default corpus.
 */
const knownHdf5WalkLeak = (report: FuzzRun['cases'][number]) =>
  /cannot read the file's groups and datasets/.test(report.message ?? '') && report.descriptorsAfter! - report.descriptorsBefore! === 1;

test('no file descriptor stays open after a case (but the known HDF5 walk leak, one per such file)', () => {
  const leaks = run.cases.filter((report) => report.descriptorsAfter !== undefined && report.descriptorsAfter > report.descriptorsBefore!);
  const known = leaks.filter(knownHdf5WalkLeak);
  if (known.length > 0) console.log(`known HDF5 walk leaks (one descriptor each): ${known.map((report) => `${report.family} #${report.index}`).join(', ')}`);
  expect(leaks.filter((report) => !knownHdf5WalkLeak(report)).map((report) => `${describeCase(report)}: ${report.descriptorsBefore} → ${report.descriptorsAfter} open`)).toEqual([]);
  for (const family of run.families) {
    const familyKnown = known.filter((report) => report.family === family.family).length;
    expect(family.descriptorsAtEnd, family.family).toBeLessThanOrEqual(family.descriptorsAtStart + familyKnown);
  }
});

test('memory stays bounded and nothing is printed', () => {
  expect(run.peakRssBytes).toBeGreaterThan(0);
  expect(run.peakRssBytes).toBeLessThan(PEAK_RSS_LIMIT);
  expect(run.stderr).toBe('');
});

test('the corpus reaches the errors it is for: most cases fail, some succeed', () => {
  for (const family of Object.keys(corpus)) {
    const reports = run.cases.filter((report) => report.family === family);
    expect(reports.filter((report) => report.outcome === 'error').length, family).toBeGreaterThan(0);
  }
});
