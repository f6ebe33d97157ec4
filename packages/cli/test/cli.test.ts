// The tensorzoo command end to end: every subcommand, --help everywhere, bad arguments and a
// missing preset. Most cases run `main` in-process (fast); one spawns the real bin script.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { commands, main } from '@tensorzoo/cli';

const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const binary = new URL('../bin/tensorzoo.js', import.meta.url).pathname;

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

describe('tensorzoo command line', () => {
  test('--help works for the command and every subcommand', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const command of commands) {
      expect(top.stdout).toContain(command.name);
      const help = await run(command.name, '--help');
      expect(help.code, command.name).toBe(0);
      expect(help.stdout).toContain(`Usage: tensorzoo ${command.name}`);
    }
  });

  test('generate streams the greedy continuation of the embedded model', async () => {
    const demo = JSON.parse(readFileSync(join(fixtures, 'tinycode-gemma2-6m.reference.json'), 'utf8')).prompts[0];
    const result = await run('generate', '--max-length', String(demo.transformers_greedy_ids.length), demo.prompt);
    expect(result.code, result.stderr).toBe(0);
    // KerasHub's generate text for the same prompt and length, plus the final newline.
    expect(result.stdout).toBe(`${demo.keras_hub_generate}\n`);
  });

  test('generate with a seeded sampler is reproducible', async () => {
    const first = await run('generate', '--max-length', '16', '--sampler', 'top_k', '--k', '8', '--seed', '3', 'import ');
    const second = await run('generate', '--max-length', '16', '--sampler', 'top_k', '--k', '8', '--seed', '3', 'import ');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    expect(first.stdout.startsWith('import ')).toBe(true);
  });

  test('forward prints the backbone output and logits as {shape, data}', async () => {
    const reference = JSON.parse(readFileSync(join(fixtures, 'keras_gemma_tiny.reference.json'), 'utf8'));
    const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-'));
    const inputs = join(folder, 'inputs.json');
    writeFileSync(inputs, JSON.stringify(reference.inputs));
    for (const [flags, expected] of [[[], reference.sequence_output], [['--logits'], reference.logits]] as const) {
      const result = await run('forward', '--preset', join(fixtures, 'keras_gemma_tiny'), '--inputs', inputs, ...flags);
      expect(result.code, result.stderr).toBe(0);
      const output = JSON.parse(result.stdout) as { shape: number[]; data: number[] };
      expect(output.shape).toEqual(expected.shape);
      const perPosition = expected.shape[2];
      let worst = 0;
      output.data.forEach((value, index) => {
        if (reference.inputs.padding_mask.data[Math.floor(index / perPosition)] === 1) worst = Math.max(worst, Math.abs(value - expected.data[index]));
      });
      expect(worst).toBeLessThan(1e-4);
    }
  });

  test('tokenize and detokenize with --spm and --preset', async () => {
    const tokenizerCases = JSON.parse(readFileSync(join(fixtures, 'gemma_like_vocab.tokenizer.reference.json'), 'utf8')).cases as { text: string; ids: number[]; pieces: string[] }[];
    const sample = tokenizerCases.find((entry) => entry.ids.length > 2)!;
    const bySpm = await run('tokenize', '--spm', join(fixtures, 'gemma_like_vocab.spm'), sample.text);
    expect(bySpm.code, bySpm.stderr).toBe(0);
    expect(JSON.parse(bySpm.stdout)).toEqual({ ids: sample.ids, pieces: sample.pieces });
    const byPreset = await run('tokenize', '--preset', join(fixtures, 'keras_gemma_tiny'), sample.text);
    expect(JSON.parse(byPreset.stdout).ids).toEqual(sample.ids);
    const back = await run('detokenize', '--spm', join(fixtures, 'gemma_like_vocab.spm'), ...sample.ids.map(String));
    expect(back.stdout).toBe(`${sample.text}\n`);
  });

  test('layout matches KerasHub for the tiny preset and lists a 27B preset without allocating it', async () => {
    const expected = JSON.parse(readFileSync(join(fixtures, 'keras_gemma_tiny.layout.reference.json'), 'utf8'));
    const result = await run('layout', '--preset', join(fixtures, 'keras_gemma_tiny'), '--mesh', '2x4');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expected.variables.map((variable: { path: string; shape: number[]; axes: unknown }) => ({ path: variable.path, shape: variable.shape, dtype: 'float32', axes: variable.axes })));
    const big = await run('layout', '--preset', 'gemma2_27b_en', '--mesh', '1x8', '--axis-names', 'data,shard');
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/batch|model|axis/);
    const named = await run('layout', '--preset', 'gemma2_27b_en', '--mesh', '1x8');
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toHaveLength(1 + 46 * 11 + 1);
  });

  test("layout of a quantized preset (or --quantize) lists Keras's quantized variables with their dtypes", async () => {
    const inventory = (stdout: string) => (JSON.parse(stdout) as { path: string; shape: number[]; dtype: string }[]).map(({ path, shape, dtype }) => ({ path, shape, dtype }));
    for (const [name, floatPreset, mode] of [['keras_gemma2_quant_int8', 'keras_gemma2_quant', 'int8'], ['keras_gemma2_quant_int4', 'keras_gemma2_quant', 'int4'], ['keras_gemma_quant_int8', 'keras_gemma_quant', 'int8']]) {
      const reference = JSON.parse(readFileSync(join(fixtures, `${name}.reference.json`), 'utf8')) as { weights: unknown[] };
      const saved = await run('layout', '--preset', join(fixtures, name), '--mesh', '1x2');
      expect(saved.code, saved.stderr).toBe(0);
      expect(inventory(saved.stdout)).toEqual(reference.weights);
      const quantized = await run('layout', '--preset', join(fixtures, floatPreset), '--mesh', '1x2', '--quantize', mode);
      expect(quantized.code, quantized.stderr).toBe(0);
      expect(inventory(quantized.stdout)).toEqual(reference.weights);
    }
    const big = await run('layout', '--preset', 'gemma2_27b_en', '--mesh', '1x8', '--quantize', 'int4');
    expect(big.code, big.stderr).toBe(0);
    expect(JSON.parse(big.stdout)).toHaveLength(1 + 3 + 46 * (7 * 4 + 4) + 1);
    const twice = await run('layout', '--preset', join(fixtures, 'keras_gemma2_quant_int8'), '--mesh', '1x2', '--quantize', 'int4');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already quantized/);
    const typo = await run('layout', '--preset', 'gemma_2b_en', '--mesh', '1x2', '--quantize', 'int3');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--quantize expected int8 or int4, received "int3"/);
  });

  test('presets lists the 23 built-in presets', async () => {
    const result = await run('presets', '--json');
    const presets = JSON.parse(result.stdout) as { name: string; params: number }[];
    expect(presets).toHaveLength(23);
    expect(presets.find((preset) => preset.name === 'gemma_2b_en')?.params).toBe(2506172416);
    const table = await run('presets');
    expect(table.stdout.split('\n').filter(Boolean)).toHaveLength(23);
  });

  test('bad arguments: one clear line on stderr and exit code 2; stdout stays empty', async () => {
    const cases: [string[], RegExp][] = [
      [['generate'], /exactly one PROMPT/],
      [['generate', '--max-length', 'ten', 'x'], /--max-length expected an integer/],
      [['generate', '--sampler', 'beam', 'x'], /--sampler expected one of greedy, top_k, top_p, random/],
      [['generate', '--backend', 'cuda', 'x'], /--backend expected one of reference, wasm, gpujs/],
      [['generate', '--temperature', '0.5', 'x'], /sampling --sampler/],
      [['generate', '--bogus', 'x'], /Unknown option '--bogus'/],
      [['forward', '--inputs', 'x.json'], /--preset is required/],
      [['tokenize', 'hello'], /exactly one of --preset P or --spm FILE/],
      [['detokenize', '--spm', join(fixtures, 'gemma_like_vocab.spm'), '99999'], /integers in \[0, 2047\]/],
      [['layout', '--preset', 'gemma_2b_en', '--mesh', '2by4'], /--mesh expected sizes like 2x4/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
  });

  test('a missing preset is one clear error line and exit code 1', async () => {
    const result = await run('generate', '--preset', '/nonexistent/preset-folder', 'x');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/nonexistent\/preset-folder/);
  });

  test('the installed bin script runs (built package)', () => {
    const built = spawnSync(process.execPath, [binary, 'presets', '--json'], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toHaveLength(23);
    expect(() => execFileSync(process.execPath, [binary, 'nope'], { stdio: 'pipe' })).toThrow();
  });
});

describe('tensorzoo generate on the wasm backend', () => {
  test('--backend wasm --threads 2 gives the reference backend\'s greedy text', async () => {
    const reference = await run('generate', '--backend', 'reference', '--max-length', '16', 'for i in range(');
    expect(reference.code, reference.stderr).toBe(0);
    const wasm = await run('generate', '--backend', 'wasm', '--threads', '2', '--max-length', '16', 'for i in range(');
    expect(wasm.code, wasm.stderr).toBe(0);
    expect(wasm.stdout).toBe(reference.stdout);
    const misplaced = await run('generate', '--backend', 'reference', '--threads', '2', 'x');
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--threads applies to the wasm backend/);
  });
});
