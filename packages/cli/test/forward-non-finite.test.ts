// forward never prints null for a number (issue 19): JSON has no NaN or ±Inf, and JSON.stringify
// writes null for them. Non-finite weights are refused at load (models' weight checks); finite
// weights that overflow in the computation end in one error line instead of a `null` in the data.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, expect, test } from 'vitest';
import { main } from '@tensorzoo/cli';
import { readKerasWeights } from '../../models/src/io/keras-weights-read.js';

const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-cli-non-finite-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk: Buffer) => (err += chunk));
  const code = await main(argv, { stdout, stderr: stderr as unknown as NodeJS.WriteStream });
  return { code, stdout: out, stderr: err };
}

test('finite weights whose output overflows: one error line, no null in the output', async () => {
  const preset = join(folder, 'preset');
  cpSync(join(fixtures, 'keras_gemma_tiny'), preset, { recursive: true });
  // The final RMS norm's scale (output = normalized · (1 + scale)) set to 3e38, finite, so the
  // normalized hidden states (|x| of order 1) overflow float32 to ±Inf.
  const weights = await readKerasWeights(preset);
  const path = 'layers/rms_normalization/vars/0'; // final_normalization/scale (models' gemma-h5-layout.ts)
  const scale = weights.get(path).data as Float32Array;
  weights.close();
  const file = join(preset, 'model.weights.h5');
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from(scale.buffer, scale.byteOffset, scale.byteLength));
  expect(at).toBeGreaterThan(0);
  bytes.set(new Uint8Array(new Float32Array(scale.length).fill(3e38).buffer), at);
  writeFileSync(file, bytes);
  const inputs = join(folder, 'inputs.json');
  writeFileSync(inputs, JSON.stringify({ token_ids: { shape: [1, 3], data: [2, 4, 3] } }));
  const result = await run(['forward', '--backend', 'reference', '--preset', preset, '--inputs', inputs]);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/tensorzoo forward: the output holds \d+ non-finite values \(NaN or ±Inf; the first, -?Infinity, at flat index \d+ of shape \[1, 3, 48\]\), which JSON cannot carry/);
});
