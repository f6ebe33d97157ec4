// tensorzoo finetune end to end on the embedded demo model (wasm when it loads, else the reference; a few steps): JSON
// lines on stdout, progress on stderr, a .lora.h5 that `forward --lora` and `generate --lora`
// load and that reproduces in-process logits (loadLoraWeights), and argument errors.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { main } from '@tensorzoo/cli';
import { GemmaCausalLM } from '@tensorzoo/models';

const demoPreset = new URL('../../../models/tinycode-gemma2-6m', import.meta.url).pathname;

/** Training is ≈ 20× faster on wasm: use it when it loads (TENSORZOO_BACKENDS's first entry wins). */
async function trainingBackend(): Promise<'wasm' | 'reference'> {
  const named = (process.env.TENSORZOO_BACKENDS ?? '').split(',')[0]?.trim();
  if (named === 'reference' || named === 'wasm') return named;
  try {
    await import(/* @vite-ignore */ '@tensorzoo/core/backends/wasm');
    await tz.engine.initialiseBackend('wasm');
    return 'wasm';
  } catch {
    return 'reference';
  }
}
const backend = await trainingBackend();

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk));
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

describe(`tensorzoo finetune [${backend}]`, () => {
  const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-finetune-'));
  const dataFile = join(folder, 'data.txt');
  writeFileSync(dataFile, 'def greet(name):\n    return "hello, " + name\n\nprint(greet("tensorzoo"))\n');
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  test('trains, prints one {"step", "loss"} line per step, saves a .lora.h5 that forward/generate --lora reproduce', async () => {
    const output = join(folder, 'greet.lora.h5');
    const result = await run('finetune', '--data', dataFile, '--lora-rank', '4', '--steps', '4', '--sequence-length', '12', '--learning-rate', '0.01', '--backend', backend, '--output', output);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { step: number; loss: number });
    expect(lines.map((line) => line.step)).toEqual([1, 2, 3, 4]);
    for (const line of lines) expect(Object.keys(line)).toEqual(['step', 'loss']);
    expect(lines.every((line) => Number.isFinite(line.loss) && line.loss > 0)).toBe(true);
    expect(result.stderr).toContain('fine-tuning');
    expect(result.stderr).toContain(`saved rank-4 LoRA factors to ${output}`);
    expect(existsSync(output)).toBe(true);

    // In process: the demo model with the saved factors.
    const model = await GemmaCausalLM.fromPreset();
    try {
      await model.backbone.loadLoraWeights(output);
      const ids = [[2, 1010, 235, 600, 17, 91]];
      const inputs = join(folder, 'inputs.json');
      writeFileSync(inputs, JSON.stringify({ token_ids: { shape: [1, 6], data: ids.flat() } }));
      const logits = model.call({ tokenIds: ids });
      const expected = Array.from(await logits.data());
      logits.dispose();
      const forward = await run('forward', '--preset', demoPreset, '--inputs', inputs, '--logits', '--backend', backend, '--lora', output);
      expect(forward.code, forward.stderr).toBe(0);
      const printed = JSON.parse(forward.stdout) as { shape: number[]; data: number[] };
      expect(printed.shape).toEqual([1, 6, model.backbone.config.vocabularySize]);
      expect(printed.data).toEqual(expected);
      // The base model's logits differ: the factors did change the model.
      const base = await run('forward', '--preset', demoPreset, '--inputs', inputs, '--logits', '--backend', backend);
      expect((JSON.parse(base.stdout) as { data: number[] }).data).not.toEqual(expected);

      const generated = await run('generate', '--max-length', '16', '--backend', backend, '--lora', output, 'def greet(');
      expect(generated.code, generated.stderr).toBe(0);
      expect(generated.stdout).toBe(`${model.generate('def greet(', { maxLength: 16 })}\n`);
    } finally {
      model.backbone.dispose();
    }
    expect(tz.getBackend()).toBe(backend);
  }, 120_000);

  test('a .jsonl file gives one example per line', async () => {
    const jsonl = join(folder, 'examples.jsonl');
    writeFileSync(jsonl, '"x = 1"\n{"text": "y = 2"}\n\n');
    const output = join(folder, 'lines.lora.h5');
    const result = await run('finetune', '--data', jsonl, '--lora-rank', '2', '--steps', '2', '--sequence-length', '8', '--backend', backend, '--optimizer', 'adamw', '--output', output);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(2);
    expect(existsSync(output)).toBe(true);
  }, 60_000);

  test('errors name the flag, what was expected and what was received', async () => {
    const cases: [string[], RegExp][] = [
      [['--lora-rank', '4', '--steps', '2', '--output', 'x.lora.h5'], /--data is required/],
      [['--data', dataFile, '--steps', '2', '--output', 'x.lora.h5'], /--lora-rank is required/],
      [['--data', dataFile, '--lora-rank', '0', '--steps', '2', '--output', 'x.lora.h5'], /--lora-rank expected an integer ≥ 1, received "0"/],
      [['--data', dataFile, '--lora-rank', '4', '--steps', '2', '--output', 'x.h5'], /--output expected a file name ending in .lora.h5, received "x.h5"/],
      [['--data', dataFile, '--lora-rank', '4', '--steps', '2', '--output', 'x.lora.h5', '--learning-rate', '0'], /--learning-rate expected a positive number, received "0"/],
      [['--data', dataFile, '--lora-rank', '4', '--steps', '2', '--output', 'x.lora.h5', '--warmup-steps', '2'], /--warmup-steps expected fewer than --steps \(2\), received 2/],
      [['--data', join(folder, 'missing.txt'), '--lora-rank', '4', '--steps', '2', '--output', 'x.lora.h5'], /--data expected a readable text file, received .*missing.txt \(ENOENT\)/],
      [['--data', dataFile, '--lora-rank', '4', '--steps', '2', '--output', 'x.lora.h5', '--backend', 'reference', '--threads', '2'], /--threads applies to --backend wasm/],
    ];
    for (const [argv, pattern] of cases) {
      const result = await run('finetune', ...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(result.stdout).toBe('');
    }
    const empty = join(folder, 'empty.txt');
    writeFileSync(empty, '  \n');
    expect((await run('finetune', '--data', empty, '--lora-rank', '4', '--steps', '1', '--output', 'x.lora.h5')).stderr).toMatch(/--data expected some text, received an empty file/);
    const badJson = join(folder, 'bad.jsonl');
    writeFileSync(badJson, '{"text": 3}\n');
    expect((await run('finetune', '--data', badJson, '--lora-rank', '4', '--steps', '1', '--output', 'x.lora.h5')).stderr).toMatch(/line 1 expected a string or \{"text": "…"\}/);
  });
});
