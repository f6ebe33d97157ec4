#!/usr/bin/env node
// The `tensorzoo` command. The implementation is the built package (npm install runs the build).
// Relaxed SIMD is switched on first (Node 20 needs a V8 flag, set before any wasm compiles), then
// the command is loaded.
import { enableRelaxedSimd } from '../dist/relaxed-simd.js';

enableRelaxedSimd();
const { main } = await import('../dist/index.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tensorzoo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
