// The fuzz corpus's command-line part (issue 19), in `npm test`: seeded mutations of valid
// command lines (option values replaced by hostile strings, options dropped, duplicated or
// unknown, positionals changed) for tokenize, detokenize and forward, and of forward's --inputs
// JSON. Every case must exit 0, or exit non-zero with exactly one "tensorzoo …" error line on
// stderr and no JavaScript error or stack in it; each case runs under a timer and leaves no file
// descriptor open. (The file readers' corpus, in a child process, is packages/models/test/fuzz.)
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { main } from '@tensorzoo/cli';

const seed = Number(process.env.TENSORZOO_FUZZ_SEED ?? 20240519);
const scale = Number(process.env.TENSORZOO_FUZZ_SCALE ?? 1);
const fixtures = new URL('../../../models/test/fixtures/', import.meta.url).pathname;
const spm = join(fixtures, 'gemma_like_vocab.spm');
const preset = join(fixtures, 'keras_gemma_tiny');
const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-fuzz-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** mulberry32, seeded per case (the models fuzz's mutate.ts is not importable across packages). */
function random(caseSeed: number): { next(): number; below(bound: number): number; pick<T>(items: readonly T[]): T } {
  let state = caseSeed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), state | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
  const below = (bound: number) => Math.floor(next() * bound);
  return { next, below, pick: (items) => items[below(items.length)]! };
}

const HOSTILE = ['', '-', '--', '-1', '0', '1e3', '0x10', '99999999999999999999', 'NaN', 'Infinity', '2.5', ' 7', 'null', '[]', '{}', '\u0000', 'é☃𝄞', '../../etc/passwd', '/', 'x'.repeat(5000), '--help=1', '--preset', '5,,6', '1,-2', '4294967301'];

let inputsCounter = 0;
function writeInputs(text: string): string {
  const path = join(folder, `inputs-${inputsCounter++}.json`);
  writeFileSync(path, text);
  return path;
}

/** Valid command lines the mutations start from (all fast: the tiny fixtures). */
const templates: (() => string[])[] = [
  () => ['tokenize', '--spm', spm, 'Hello world'],
  () => ['tokenize', '--spm', spm, '--file', writeInputs('some text ☃')],
  () => ['detokenize', '--spm', spm, '2,100,200,3'],
  () => ['forward', '--backend', 'reference', '--preset', preset, '--inputs', writeInputs('{"token_ids":{"shape":[1,3],"data":[2,4,3]},"padding_mask":{"shape":[1,3],"data":[1,1,0]}}')],
];

/** A mutated command line: 1-3 of replace a value, drop, duplicate, add an unknown option, swap. */
function mutateArgv(argv: string[], generator: ReturnType<typeof random>): string[] {
  const result = [...argv];
  const count = 1 + generator.below(3);
  for (let step = 0; step < count; step++) {
    const at = 1 + generator.below(Math.max(1, result.length - 1));
    switch (generator.below(6)) {
      case 0:
      case 1:
        result[at] = generator.pick(HOSTILE);
        break;
      case 2:
        result.splice(at, 1);
        break;
      case 3:
        result.splice(at, 0, result[at] ?? '--spm', generator.pick(HOSTILE));
        break;
      case 4:
        result.splice(at, 0, generator.pick(['--bogus', '--max-length', '--dtype', '--lora', '--quantize', '--backend']), generator.pick(HOSTILE));
        break;
      default:
        result.push(generator.pick(HOSTILE));
    }
  }
  return result;
}

/** A mutated inputs file: values of token_ids / padding_mask replaced, keys dropped, text damaged. */
function mutateInputs(generator: ReturnType<typeof random>): string {
  const inputs: Record<string, any> = { token_ids: { shape: [1, 3], data: [2, 4, 3] }, padding_mask: { shape: [1, 3], data: [1, 1, 0] } };
  const values: unknown[] = [null, -1, 0.5, 2 ** 32 + 5, 'abc', [], {}, [[1]], 1e300, 5000, true, [1, 2, 3, 4], [0, 0, 0, 0, 0, 0]];
  const count = 1 + generator.below(3);
  for (let step = 0; step < count; step++) {
    const key = generator.pick(['token_ids', 'padding_mask']);
    const isArray = (value: unknown): value is { shape: unknown; data: unknown[] } => typeof value === 'object' && value !== null && Array.isArray((value as { data?: unknown }).data);
    // Once a step replaced or deleted the array, later steps replace the key as a whole.
    const choice = isArray(inputs[key]) ? generator.below(5) : 3;
    switch (choice) {
      case 0:
        inputs[key].data[generator.below(3)] = generator.pick(values);
        break;
      case 1:
        inputs[key].shape = generator.pick([[3], [1, 4], [0, 3], [1, -3], [2, 3], 'x', null, [1e9, 1e9]]);
        break;
      case 2:
        delete inputs[key];
        break;
      case 3:
        inputs[key] = generator.pick(values);
        break;
      default:
        inputs[key].data = generator.pick(values);
    }
  }
  let text = JSON.stringify(inputs);
  if (generator.next() < 0.15) text = text.slice(0, generator.below(text.length));
  return text;
}

interface Outcome {
  argv: string[];
  code: number;
  errorLines: string[];
  stderr: string;
  descriptorsBefore: number;
  descriptorsAfter: number;
  timedOut: boolean;
}

const CASE_TIMEOUT_MS = 30_000;
const openDescriptors = () => readdirSync('/proc/self/fd').length;

async function runCase(argv: string[]): Promise<Outcome> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stdout.resume();
  stderr.on('data', (chunk: Buffer) => (err += chunk));
  // A stdin that ends at once, so `-` reads an empty text instead of waiting for a terminal.
  const stdin = Readable.from([Buffer.from('stdin text', 'utf8')]);
  const before = openDescriptors();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CASE_TIMEOUT_MS)));
  const result = await Promise.race([main(argv, { stdout, stderr: stderr as unknown as NodeJS.WriteStream, stdin }), timeout]);
  clearTimeout(timer);
  await new Promise((resolve) => setImmediate(resolve));
  return {
    argv,
    code: result === 'timeout' ? -1 : result,
    errorLines: err.split(/[\r\n]+/).filter((line) => line.startsWith('tensorzoo')),
    stderr: err,
    descriptorsBefore: before,
    descriptorsAfter: openDescriptors(),
    timedOut: result === 'timeout',
  };
}

const outcomes: Outcome[] = [];
const ARGV_CASES = Math.round(160 * scale);
const INPUTS_CASES = Math.round(60 * scale);

beforeAll(async () => {
  // Warm-up: the first forward loads the wasm-free reference backend and h5wasm.
  await runCase(templates[3]!());
  for (let index = 0; index < ARGV_CASES; index++) {
    const generator = random(Math.imul(seed, 31) + index);
    outcomes.push(await runCase(mutateArgv(generator.pick(templates)(), generator)));
  }
  for (let index = 0; index < INPUTS_CASES; index++) {
    const generator = random(Math.imul(seed, 17) + 100_000 + index);
    outcomes.push(await runCase(['forward', '--backend', 'reference', '--preset', preset, '--inputs', writeInputs(mutateInputs(generator))]));
  }
  const succeeded = outcomes.filter((outcome) => outcome.code === 0).length;
  console.log(`cli fuzz seed ${seed}: ${outcomes.length} cases, ${succeeded} exit 0, ${outcomes.filter((outcome) => outcome.code === 2).length} exit 2, ${outcomes.filter((outcome) => outcome.code === 1).length} exit 1`);
}, 600_000);

const show = (outcome: Outcome) => `${JSON.stringify(outcome.argv.map((arg) => (arg.length > 40 ? `${arg.slice(0, 40)}…` : arg)))} → ${outcome.code}: ${outcome.stderr.slice(0, 300)}`;

test('no case hangs', () => {
  expect(outcomes.filter((outcome) => outcome.timedOut).map(show)).toEqual([]);
});

test('every failure is one "tensorzoo …" line, never a JavaScript error or stack', () => {
  const bad = outcomes.filter(
    (outcome) => outcome.code !== 0 && (outcome.errorLines.length !== 1 || /TypeError|RangeError|ReferenceError|SyntaxError: (?!.*JSON)|\bat .*\.[jt]s:\d+/.test(outcome.stderr)),
  );
  expect(bad.map(show)).toEqual([]);
});

test('no file descriptor stays open after a case', () => {
  expect(outcomes.filter((outcome) => outcome.descriptorsAfter > outcome.descriptorsBefore).map((outcome) => `${show(outcome)} (${outcome.descriptorsBefore} → ${outcome.descriptorsAfter})`)).toEqual([]);
});

test('the corpus reaches both outcomes', () => {
  expect(outcomes.some((outcome) => outcome.code === 0)).toBe(true);
  expect(outcomes.some((outcome) => outcome.code !== 0)).toBe(true);
});
