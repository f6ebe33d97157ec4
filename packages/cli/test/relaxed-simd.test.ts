// The command turns relaxed SIMD on for its own process (Node 20 needs a V8 flag set before any
// wasm compiles): the wasm backend then runs its relaxed (fused multiply-add) build. Checked in a
// child Node, as the command runs, with and without TENSORZOO_RELAXED_SIMD=0.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
// CommonJS -e with dynamic imports: under --input-type=module the pool's eval workers would be
// ES modules too, which the worker source is not written for.
const script = `
(async () => {
  const { enableRelaxedSimd } = await import('./dist/relaxed-simd.js');
  const set = enableRelaxedSimd();
  const tz = await import('@tensorzoo/core');
  const wasm = await import('@tensorzoo/core/backends/wasm');
  await tz.setBackend('wasm');
  const info = await wasm.wasmBackendInfo();
  console.log(JSON.stringify({ set, variant: info.variant, relaxedSimd: info.features.relaxedSimd }));
  process.exit(0);
})();
`;

function childInfo(environment: Record<string, string>): { set: boolean; variant: string; relaxedSimd: boolean } {
  const output = execFileSync(process.execPath, ['-e', script], { cwd: packageRoot, env: { ...process.env, ...environment }, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!);
}

test('the command process runs the relaxed SIMD build (flag set on Node < 22, default from 22)', () => {
  const info = childInfo({});
  expect(info.relaxedSimd).toBe(true);
  expect(info.variant.startsWith('relaxed')).toBe(true);
  expect(info.set).toBe(Number(process.versions.node.split('.')[0]) < 22);
});

test('TENSORZOO_RELAXED_SIMD=0 leaves the flag alone (plain SIMD on Node 20)', () => {
  const info = childInfo({ TENSORZOO_RELAXED_SIMD: '0' });
  expect(info.set).toBe(false);
  if (Number(process.versions.node.split('.')[0]) < 22) expect(info.variant.startsWith('simd')).toBe(true);
});

test('bin/tensorzoo.js still starts (help)', () => {
  const output = execFileSync(process.execPath, ['bin/tensorzoo.js', '--help'], { cwd: packageRoot, encoding: 'utf8' });
  expect(output).toMatch(/Usage: tensorzoo/);
});
