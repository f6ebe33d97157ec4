// tensorzoo bench: runs a benchmark suite from the repository's benchmarks/ package.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, type CommandSpec } from '../usage.js';

function findBenchmarks(): string | null {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(folder, 'benchmarks', 'package.json');
    if (existsSync(candidate)) return dirname(candidate);
    folder = dirname(folder);
  }
  return null;
}

export const benchCommand: CommandSpec = {
  name: 'bench',
  summary: 'Run a benchmark suite (matmul, model, train, …) and write benchmarks/results/<suite>-<date>.json. Needs a clone of the repository.',
  usage: 'tensorzoo bench [SUITE]',
  options: {},
  optionHelp: [],
  async run({ positionals }, io) {
    const folder = findBenchmarks();
    if (!folder) throw new UsageError('bench: expected a tensorzoo repository checkout (benchmarks/ is not published to npm)');
    const child = spawn('npm', ['run', 'bench', '--silent', '--', ...positionals], { cwd: folder, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.pipe(io.stdout, { end: false });
    return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  },
};
