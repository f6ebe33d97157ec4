// The command line against hostile input (issue 19): numeric options parsed strictly, --max-length
// capped by the model's context before anything is padded to it, prompts and texts from stdin
// (`-`) and --file (a 200 KB prompt as an argument fails at exec with E2BIG), and forward's inputs
// file checked value by value (null, coerced ids, masks other than 0/1, 10^4 and 10^6 tokens).
// Every case is one line on stderr naming the option or file, and exit status 2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '@tensorzoo/cli';

const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const spm = join(fixtures, 'gemma_like_vocab.spm');
const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-hardening-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function run(argv: string[], stdinText?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk: Buffer) => (err += chunk));
  const stdin = stdinText === undefined ? undefined : Readable.from([Buffer.from(stdinText, 'utf8')]);
  const code = await main(argv, { stdout, stderr: stderr as unknown as NodeJS.WriteStream, stdin });
  return { code, stdout: out, stderr: err };
}

function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

/** One error line on stderr (besides the progress bar's) matching `pattern`, exit status 2. */
function expectUsageError(result: { code: number; stderr: string }, pattern: RegExp): void {
  const errors = result.stderr.split(/[\r\n]+/).filter((line) => line.startsWith('tensorzoo'));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/TypeError|RangeError|at .*\.ts:/);
  expect(result.code).toBe(2);
}

describe('numeric options are parsed strictly', () => {
  test.each(['99999999999999999999', '1e3', '0x10', '-5', '2.5', ' 7', '', 'ten', '1_000'])('--max-length %j is refused, naming the option', async (value) => {
    expectUsageError(await run(['generate', `--max-length=${value}`, 'hello']), new RegExp(`generate: --max-length expected an integer ≥ 2, received ${JSON.stringify(value).replace(/[.+]/g, '\\$&')} \\(decimal digits, at most 9007199254740991\\)`));
  });

  test.each(['0x10', '1e400', 'Infinity', ' 1'])('--temperature %j is refused', async (value) => {
    expectUsageError(await run(['generate', '--sampler', 'random', '--temperature', value, 'hello']), /generate: --temperature expected a positive number, received/);
  });

  test('--seed and --k take plain decimal integers; 1e3 is not one', async () => {
    expectUsageError(await run(['generate', '--sampler', 'top_k', '--k', '1e3', 'hello']), /--k expected an integer ≥ 1, received "1e3" \(decimal digits/);
    expectUsageError(await run(['generate', '--sampler', 'random', '--seed', '0x10', 'hello']), /--seed expected an integer ≥ 0, received "0x10" \(decimal digits/);
  });
});

describe('--max-length is capped by the model before anything is padded to it', () => {
  test.each(['100000', '1000000000'])('--max-length %s on the demo model: the context length in the error', async (value) => {
    expectUsageError(await run(['generate', '--backend', 'reference', '--max-length', value, 'import numpy']), new RegExp(`generate: --max-length expected at most 8192 \\(the model's context length is 8192\\), received ${value}`));
  });
});

test('finetune --sequence-length past the context is refused before anything loads', async () => {
  const data = file('data.txt', 'import numpy\n');
  expectUsageError(
    await run(['finetune', '--data', data, '--lora-rank', '2', '--steps', '1', '--output', join(folder, 'x.lora.h5'), '--sequence-length', '100000']),
    /finetune: --sequence-length expected an integer ≥ 2, received "100000" \(decimal digits, at most 8192\)/,
  );
});

describe('text from stdin (-) and --file', () => {
  test('tokenize: TEXT, - and --file give the same ids', async () => {
    const text = 'def main():\n    return 42\n';
    const fromArgument = await run(['tokenize', '--spm', spm, text]);
    expect(fromArgument.code, fromArgument.stderr).toBe(0);
    const fromStdin = await run(['tokenize', '--spm', spm, '-'], text);
    const fromFile = await run(['tokenize', '--spm', spm, '--file', file('text.txt', text)]);
    expect(fromStdin.stdout).toBe(fromArgument.stdout);
    expect(fromFile.stdout).toBe(fromArgument.stdout);
    expect(JSON.parse(fromArgument.stdout).ids.length).toBeGreaterThan(3);
  });

  test('tokenize: a 200 KB text through --file and stdin (too long for one exec argument)', async () => {
    const text = 'import numpy as np\n'.repeat(11_000);
    const fromFile = await run(['tokenize', '--spm', spm, '--file', file('long.txt', text)]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const fromStdin = await run(['tokenize', '--spm', spm, '-'], text);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  test.each(['0x10', '1e1', '10.7', '-1', '4294967301', 'abc'])('detokenize: id %j is refused', async (id) => {
    expectUsageError(await run(['detokenize', '--spm', spm, `5,${id}`]), new RegExp(`detokenize: IDS expected integers in \\[0, 2047\\], received ${JSON.stringify(id).replace(/[.]/g, '\\.')}`));
  });

  test('tokenize: TEXT and --file together, a missing file and a directory are clear errors', async () => {
    expectUsageError(await run(['tokenize', '--spm', spm, '--file', file('a.txt', 'x'), 'x']), /tokenize: expected TEXT or --file PATH, not both/);
    expectUsageError(await run(['tokenize', '--spm', spm, '--file', join(folder, 'missing.txt')]), /tokenize: --file expected a readable text file, received .*missing\.txt \(ENOENT\)/);
    expectUsageError(await run(['tokenize', '--spm', spm, '--file', folder]), /tokenize: --file expected a regular file, received .* \(a directory\)/);
    expectUsageError(await run(['tokenize', '--spm', spm]), /tokenize: expected exactly one TEXT argument \(or - for stdin, or --file PATH\), received 0/);
  });

  test('generate: PROMPT, - and --file give the same continuation', async () => {
    const prompt = 'import ';
    const flags = ['generate', '--backend', 'reference', '--max-length', '10'];
    const fromArgument = await run([...flags, prompt]);
    expect(fromArgument.code, fromArgument.stderr).toBe(0);
    expect((await run([...flags, '-'], prompt)).stdout).toBe(fromArgument.stdout);
    expect((await run([...flags, '--file', file('prompt.txt', prompt)])).stdout).toBe(fromArgument.stdout);
  });

  test('generate: a 200 KB prompt from --file is refused early with the token count and the context', async () => {
    const prompt = file('long-prompt.txt', 'import numpy as np\n'.repeat(11_000));
    expectUsageError(await run(['generate', '--backend', 'reference', '--file', prompt]), /generate: PROMPT expected fewer than 8191 tokens \(the model's context length is 8192\), received \d{5,} tokens/);
  });
});

describe('forward --inputs: every value checked before the model runs', () => {
  const preset = join(fixtures, 'keras_gemma_tiny');
  const forward = (inputs: unknown) => run(['forward', '--backend', 'reference', '--preset', preset, '--inputs', file(`inputs-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(inputs))]);
  const ids = (data: unknown[]) => ({ token_ids: { shape: [1, data.length], data } });

  test.each([[null], [[1, 2]], [7], ['text']])('an inputs file holding %j is a clear error, not a TypeError', async (content) => {
    expectUsageError(await forward(content), /forward: --inputs .*inputs-.*\.json expected a JSON object \{"token_ids"/);
  });

  test.each([
    [2 ** 32 + 5, '4294967301'],
    [10.7, '10.7'],
    ['abc', '"abc"'],
    [null, 'null'],
    [-1, '-1'],
  ])('token id %j is refused, not coerced', async (id, shown) => {
    expectUsageError(await forward(ids([2, id, 3])), new RegExp(`expected "token_ids" data of integer token ids ≥ 0, received ${shown.replace(/[."]/g, '\\$&')} at \\[0, 1\\]`));
  });

  test('a token id past the vocabulary names the range', async () => {
    const result = await forward(ids([2, 5000, 3]));
    expect(result.stderr).toMatch(/tokenIds' expected ids in \[0, 2047\] \(vocabularySize 2048\), received 5000/);
    expect(result.code).toBe(1);
  });

  test.each([[2], [-1], [0.5], ['1']])('padding mask value %j is refused', async (value) => {
    expectUsageError(await forward({ ...ids([2, 4, 3]), padding_mask: { shape: [1, 3], data: [1, value, 1] } }), /expected "padding_mask" data of 0\/1 values, received .* at \[0, 1\]/);
  });

  test.each([[1e4], [1e6]])('%s tokens are refused with the context length before the model loads', async (length) => {
    expectUsageError(await forward(ids(new Array(length).fill(2))), new RegExp(`expected at most 8192 tokens per row \\(the model's context length\\), received ${length}`));
  });

  test('valid inputs still run', async () => {
    const result = await forward({ ...ids([2, 4, 3]), padding_mask: { shape: [1, 3], data: [1, 1, 0] } });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).shape).toEqual([1, 3, 48]);
  });
});
