// tensorzoo quantize, and --quantize on generate / forward / finetune: the saved preset holds
// Keras's integer tensors, quantized presets are read as they are, errors leave nothing behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';
import { io } from '@tensorzoo/models';

const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-quantize-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = runCli;

const reference = (name: string) => JSON.parse(readFileSync(join(fixtures, `${name}.reference.json`), 'utf8'));

describe('tensorzoo quantize', () => {
  test.each([
    ['keras_gemma2_quant', 'int8', 'keras_gemma2_quant_int8'],
    ['keras_gemma2_quant', 'int4', 'keras_gemma2_quant_int4'],
  ])('%s --mode %s writes the integer tensors of Keras\'s %s', async (preset, mode, expected) => {
    const out = join(scratch, `${preset}-${mode}`);
    const result = await run('quantize', '--preset', join(fixtures, preset), '--mode', mode, '--out', out, '--backend', 'reference');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`quantizing (${mode})`);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ mode, out, quantizedLayers: 22 });
    expect(readdirSync(out).sort()).toEqual(['assets', 'config.json', 'metadata.json', 'model.weights.h5', 'preprocessor.json', 'task.json', 'tokenizer.json']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).config.dtype).toEqual(JSON.parse(readFileSync(join(fixtures, expected, 'config.json'), 'utf8')).config.dtype);
    const written = await io.readKerasWeights(out);
    const keras = await io.readKerasWeights(join(fixtures, expected));
    try {
      expect(written.paths()).toEqual(keras.paths());
      for (const path of keras.paths()) {
        const [a, b] = [written.get(path), keras.get(path)];
        expect(a.dtype, path).toBe(b.dtype);
        expect(a.shape, path).toEqual(b.shape);
        if (b.dtype === 'int8') expect(Buffer.compare(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)), path).toBe(0);
      }
    } finally {
      written.close();
      keras.close();
    }
    // The result is a preset: generate reads it as it is.
    const generated = reference(expected).generate;
    const text = await run('generate', '--preset', out, '--max-length', String(generated.max_length), '--backend', 'reference', generated.prompts[0]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(`${generated.outputs[0]}\n`);
  });

  test('bad modes, a used --out and an already quantized preset fail and leave nothing', async () => {
    const out = join(scratch, 'never');
    const bad = await run('quantize', '--preset', join(fixtures, 'keras_gemma2_quant'), '--mode', 'float8', '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/quantize: --mode expected one of int8, int4, received "float8"/);
    const missing = await run('quantize', '--preset', join(fixtures, 'keras_gemma2_quant'), '--out', out);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--mode is required');
    const used = join(scratch, 'used');
    await run('quantize', '--preset', join(fixtures, 'keras_gemma2_quant'), '--mode', 'int8', '--out', used, '--backend', 'reference');
    const again = await run('quantize', '--preset', join(fixtures, 'keras_gemma2_quant'), '--mode', 'int8', '--out', used, '--backend', 'reference');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out expected a new or empty folder, received .*used \(it holds 7 entries\)/);
    const twice = await run('quantize', '--preset', join(fixtures, 'keras_gemma2_quant_int8'), '--mode', 'int4', '--out', out, '--backend', 'reference');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/Layer 'token_embedding' is already quantized with dtype_policy='int8_from_float32'\. Received: mode=int4/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(scratch).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('--quantize on load, quantized presets as they are', () => {
  test('forward: a quantized preset and --quantize int8 on its float preset print the same logits', async () => {
    const expected = reference('keras_gemma_quant_int8');
    const inputs = join(scratch, 'inputs.json');
    writeFileSync(inputs, JSON.stringify(expected.inputs));
    const saved = await run('forward', '--preset', join(fixtures, 'keras_gemma_quant_int8'), '--inputs', inputs, '--logits', '--backend', 'reference');
    const onLoad = await run('forward', '--preset', join(fixtures, 'keras_gemma_quant'), '--inputs', inputs, '--logits', '--quantize', 'int8', '--backend', 'reference');
    expect(saved.code, saved.stderr).toBe(0);
    expect(onLoad.code, onLoad.stderr).toBe(0);
    const a = JSON.parse(saved.stdout);
    const b = JSON.parse(onLoad.stdout);
    expect(a.shape).toEqual(expected.logits.shape);
    expect(b.data).toEqual(a.data);
    const mask = expected.inputs.padding_mask.data as number[];
    let worst = 0;
    a.data.forEach((value: number, index: number) => {
      if (mask[Math.floor(index / expected.logits.shape[2])] === 1) worst = Math.max(worst, Math.abs(value - expected.logits.data[index]));
    });
    expect(worst).toBeLessThan(1e-3);
  });

  test('generate --quantize int4 on the float preset gives KerasHub\'s int4 text; a bad --quantize is a usage error', async () => {
    const generated = reference('keras_gemma2_quant_int4').generate;
    const result = await run('generate', '--preset', join(fixtures, 'keras_gemma2_quant'), '--quantize', 'int4', '--max-length', String(generated.max_length), '--backend', 'reference', generated.prompts[1]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${generated.outputs[1]}\n`);
    const bad = await run('generate', '--quantize', 'int2', 'hello');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/generate: --quantize expected one of int8, int4, received "int2"/);
  });

  test('finetune --quantize int8 trains LoRA factors on the quantized base', async () => {
    const data = join(scratch, 'train.txt');
    writeFileSync(data, 'the quick brown fox jumps over the lazy dog. '.repeat(4));
    const output = join(scratch, 'quantized.lora.h5');
    const result = await run(
      'finetune', '--preset', join(fixtures, 'keras_gemma2_quant'), '--quantize', 'int8', '--data', data, '--lora-rank', '2', '--steps', '3',
      '--sequence-length', '8', '--learning-rate', '0.05', '--output', output, '--backend', 'reference',
    );
    expect(result.code, result.stderr).toBe(0);
    const losses = result.stdout.trim().split('\n').map((line) => JSON.parse(line).loss as number);
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(existsSync(output)).toBe(true);
    // The factors load onto the saved int8 preset (same layers, same rank).
    const generated = await run('generate', '--preset', join(fixtures, 'keras_gemma2_quant_int8'), '--lora', output, '--max-length', '10', '--backend', 'reference', 'the');
    expect(generated.code, generated.stderr).toBe(0);
  });
});
