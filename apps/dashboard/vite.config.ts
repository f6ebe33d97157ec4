// Builds the dashboard into dist/ with every benchmarks/results/*.json baked in (virtual module
// `virtual:benchmark-results`). TENSORZOO_RESULTS_DIR points it at another folder (the tests use
// a fixture folder for the model suite and history); DASHBOARD_OUT_DIR changes the output folder.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { parseResultFile, type ResultFile } from './src/results.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = resolve(here, process.env.TENSORZOO_RESULTS_DIR ?? '../../benchmarks/results');

export function readResults(folder: string): ResultFile[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const text = readFileSync(join(folder, name), 'utf8');
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        throw new Error(`benchmark results ${name}: not valid JSON (${(error as Error).message})`);
      }
      return parseResultFile(name, data);
    });
}

function benchmarkResults(): Plugin {
  const id = 'virtual:benchmark-results';
  return {
    name: 'tensorzoo-benchmark-results',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(loaded) {
      if (loaded !== `\0${id}`) return undefined;
      if (existsSync(resultsDir)) this.addWatchFile(resultsDir);
      return `export default ${JSON.stringify(readResults(resultsDir))};`;
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [benchmarkResults()],
  build: { outDir: resolve(here, process.env.DASHBOARD_OUT_DIR ?? 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
