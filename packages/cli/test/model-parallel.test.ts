// --model-parallel N on generate and forward: the same text and the same numbers as one memory
// (the shards run the built dist/ of core, layers and models), and the layout errors as usage output.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-model-parallel-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = runCli;

describe('--model-parallel', () => {
  test('generate --model-parallel 2 prints the single-memory text', async () => {
    const preset = join(fixtures, 'keras_gemma2_tiny');
    const single = await run('generate', '--preset', preset, '--max-length', '16', '--backend', 'reference', 'the quick brown fox');
    const parallel = await run('generate', '--preset', preset, '--max-length', '16', '--backend', 'reference', '--model-parallel', '2', 'the quick brown fox');
    expect(single.code, single.stderr).toBe(0);
    expect(parallel.code, parallel.stderr).toBe(0);
    expect(parallel.stdout).toBe(single.stdout);
  });

  test('forward --model-parallel 4 --logits gives the single-memory logits within 1e-5', async () => {
    const inputs = join(scratch, 'inputs.json');
    writeFileSync(inputs, JSON.stringify({ token_ids: { shape: [1, 5], data: [2, 276, 265, 1633, 1024] } }));
    const preset = join(fixtures, 'keras_gemma_tiny');
    const single = JSON.parse((await run('forward', '--preset', preset, '--inputs', inputs, '--logits', '--backend', 'reference')).stdout);
    const result = await run('forward', '--preset', preset, '--inputs', inputs, '--logits', '--backend', 'reference', '--model-parallel', '4');
    expect(result.code, result.stderr).toBe(0);
    const parallel = JSON.parse(result.stdout);
    expect(parallel.shape).toEqual(single.shape);
    let worst = 0;
    single.data.forEach((value: number, index: number) => (worst = Math.max(worst, Math.abs(value - parallel.data[index]))));
    expect(worst).toBeLessThan(1e-5);
  });

  test('a mesh that does not divide the heads is one error naming the variable and the axis', async () => {
    const inputs = join(scratch, 'inputs-3.json');
    writeFileSync(inputs, JSON.stringify({ token_ids: { shape: [1, 2], data: [2, 276] } }));
    const result = await run('forward', '--preset', join(fixtures, 'hf_gemma_native_bf16_sharded'), '--inputs', inputs, '--model-parallel', '4');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("variable 'decoder_block_0/attention/query/kernel' axis 0 (query heads) has size 2, which the 'model' mesh axis of size 4 does not divide");
  });

  test('--model-parallel and --dtype are checked', async () => {
    const result = await run('generate', '--model-parallel', '0', 'hi');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--model-parallel');
    const dtype = await run('generate', '--dtype', 'int8', 'hi');
    expect(dtype.code).not.toBe(0);
    expect(dtype.stderr).toContain('--dtype');
  });
});
