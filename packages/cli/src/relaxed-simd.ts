// Relaxed SIMD for the `tensorzoo` command's own process. V8 ships WebAssembly relaxed SIMD on by
// default from Node 22 (Chrome 114); Node 20's V8 has it behind --experimental-wasm-relaxed-simd.
// The command sets that flag before any wasm module is compiled, so the wasm backend's feature
// check validates the relaxed build and picks it (f32x4.relaxed_madd in GEMM and GEMV; check with
// wasmBackendInfo().variant). TENSORZOO_RELAXED_SIMD=0 keeps the plain SIMD build. Library users
// opt in the same way: `node --experimental-wasm-relaxed-simd app.js` on Node 20 (see the wasm
// backend's README). This module imports nothing that compiles wasm.
import { setFlagsFromString } from 'node:v8';

/** Turns relaxed SIMD on for this process where V8 needs the flag; returns whether it set it. */
export function enableRelaxedSimd(environment: Record<string, string | undefined> = process.env): boolean {
  if (environment.TENSORZOO_RELAXED_SIMD === '0') return false;
  const major = Number(process.versions.node?.split('.')[0] ?? 0);
  if (!(major >= 16 && major < 22)) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return true;
}
