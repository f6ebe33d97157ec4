// tensorzoo init (argument checks; the writing itself is tested in @tensorzoo/models on tiny
// architectures, since every built-in architecture is gigabytes), tensorzoo export on the tiny
// fixtures, and generate --stats.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-export-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const run = runCli;

describe('tensorzoo init', () => {
  test('checks its arguments, naming the flag, the expected and the received value', async () => {
    const cases: [string[], RegExp][] = [
      [['init', '--random', '--out', join(folder, 'x')], /--config is required/],
      [['init', '--config', 'gemma_3b_en', '--random', '--out', join(folder, 'x')], /--config expected a built-in preset name \(gemma_2b_en, .*received "gemma_3b_en"/],
      [['init', '--config', 'gemma_2b_en', '--out', join(folder, 'x')], /--random is required/],
      [['init', '--config', 'gemma_2b_en', '--random'], /--out is required/],
      [['init', '--config', 'gemma_2b_en', '--random', '--out', join(folder, 'x'), '--dtype', 'int8'], /--dtype expected one of float32, bfloat16, received "int8"/],
      [['init', '--config', 'gemma_2b_en', '--random', '--out', join(folder, 'x'), '--seed=-1'], /--seed expected an integer ≥ 0.*received "-1"/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    // A non-empty destination is refused before anything is written.
    const result = await run('init', '--config', 'gemma_2b_en', '--random', '--out', fixtures.replace(/\/$/, ''));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/'out' expected a new or empty folder/);
  });
});

describe('tensorzoo export', () => {
  test('writes a GGUF file and a Hugging Face folder and reports them as JSON', async () => {
    const gguf = join(folder, 'tiny.gguf');
    const result = await run('export', '--preset', join(fixtures, 'keras_gemma2_tiny'), '--format', 'gguf', '--type', 'q8_0', '--out', gguf);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ out: gguf, format: 'gguf', type: 'q8_0', files: [gguf] });
    expect(readFileSync(gguf).subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(report.bytes).toBe(readFileSync(gguf).length);

    const hf = join(folder, 'hf');
    const exported = await run('export', '--preset', join(fixtures, 'keras_gemma_tiny'), '--format', 'hf', '--out', hf);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readdirSync(hf).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.model', 'tokenizer_config.json']);
    // The exported folder runs through the same command line.
    const forward = await run('generate', '--preset', hf, '--max-length', '8', 'the');
    expect(forward.code, forward.stderr).toBe(0);
  });

  test('checks its arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['export', '--out', join(folder, 'y')], /--format is required/],
      [['export', '--format', 'onnx', '--out', join(folder, 'y')], /--format expected one of gguf, hf, received "onnx"/],
      [['export', '--format', 'hf', '--type', 'q8_0', '--out', join(folder, 'y')], /--type expected one of f32, f16, bf16, received "q8_0"/],
      [['export', '--format', 'gguf', '--type', 'q4_0', '--out', join(folder, 'y')], /--type expected one of f32, f16, bf16, q8_0, received "q4_0"/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const hfSource = await run('export', '--preset', join(fixtures, 'hf_gemma2_native'), '--format', 'gguf', '--out', join(folder, 'z.gguf'));
    expect(hfSource.code).toBe(1);
    expect(hfSource.stderr).toMatch(/is a Hugging Face checkpoint; export reads KerasHub presets/);
  });
});

describe('tensorzoo generate --stats', () => {
  test('prints one JSON line on stderr after the text', async () => {
    const result = await run('generate', '--max-length', '20', '--stats', 'def forward(self, x):');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.startsWith('def forward(self, x):')).toBe(true);
    const lines = result.stderr.trim().split('\n');
    const stats = JSON.parse(lines[lines.length - 1]!);
    expect(Object.keys(stats)).toEqual(['promptTokens', 'generatedTokens', 'loadMs', 'prefillMs', 'decodeTokensPerSecond', 'peakRssBytes']);
    // <bos> + the 8 reference prompt ids; greedy runs to the length limit: 20 - 9 = 11 tokens.
    expect(stats.promptTokens).toBe(9);
    expect(stats.generatedTokens).toBe(11);
    for (const key of ['loadMs', 'prefillMs', 'decodeTokensPerSecond', 'peakRssBytes']) expect(stats[key]).toBeGreaterThan(0);
    const plain = await run('generate', '--max-length', '12', 'def f');
    expect(plain.stderr).not.toMatch(/promptTokens/);
  });
});
