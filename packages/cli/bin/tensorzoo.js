#!/usr/bin/env node
// The `tensorzoo` command. The implementation is the built package (npm install runs the build).
import { main } from '../dist/index.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tensorzoo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
