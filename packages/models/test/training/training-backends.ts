// Training tests are heavy on the reference backend (≈ 2 s per demo-model step), so when
// TENSORZOO_BACKENDS is not set they run on the wasm backend if it loads, else on the reference.
import * as tz from '@tensorzoo/core';

export async function trainingBackends(): Promise<string[]> {
  const named = (process.env.TENSORZOO_BACKENDS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (named.length) return named;
  try {
    await import(/* @vite-ignore */ '@tensorzoo/core/backends/wasm');
    await tz.engine.initialiseBackend('wasm');
    return ['wasm'];
  } catch {
    return ['reference'];
  }
}
