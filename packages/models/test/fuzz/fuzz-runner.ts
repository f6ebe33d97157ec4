// Runs the fuzz child (fuzz-child.ts) in its own Node process, so that what a test in this
// process cannot survive is observed instead: a crash (abort, V8 fatal error) ends only the child,
// a hang (a synchronous loop blocks every timer of its own process) is cut by this process's
// per-case timer, and the child's peak resident memory (VmHWM) bounds what a case allocated.
// After a crash or hang the child is restarted at the next case. The child is bundled from the
// TypeScript sources at test time with rolldown (Vite's bundler), so it runs the code under test,
// never a stale dist/.

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CaseReport, ChildMessage, ChildRequest, FuzzJob } from './fuzz-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const packages = join(here, '..', '..', '..');

/** Bundles fuzz-child.ts (and the sources it imports) into one folder; returns the entry's path. */
export async function bundleFuzzChild(outputFolder: string): Promise<string> {
  const { build } = await import('rolldown');
  await build({
    input: join(here, 'fuzz-child.ts'),
    platform: 'node',
    external: [/^node:/, /^h5wasm/, /^gpu\.js$/],
    resolve: {
      alias: {
        '@tensorzoo/core': join(packages, 'core/src/index.ts'),
        '@tensorzoo/layers': join(packages, 'layers/src/index.ts'),
      },
    },
    output: { dir: outputFolder, format: 'esm', entryFileNames: 'fuzz-child.mjs' },
    logLevel: 'silent',
  });
  return join(outputFolder, 'fuzz-child.mjs');
}

export interface FuzzRun {
  cases: CaseReport[];
  /** Per family: descriptors open before its first case and after its last (per child). */
  families: { family: string; descriptorsAtStart: number; descriptorsAtEnd: number }[];
  /** Largest VmHWM of the child processes. */
  peakRssBytes: number;
  /** What the children wrote to stderr (HDF5 diagnostics must not reach it). */
  stderr: string;
  restarts: number;
}

/**
 * Runs `jobs` in child processes; a case without a "done" report within `caseTimeoutMs` is a
 * hang, a child that exits during a case is a crash; either restarts the child after that case.
 */
export async function runFuzz(entry: string, fixtures: string, jobs: FuzzJob[], caseTimeoutMs: number): Promise<FuzzRun> {
  const run: FuzzRun = { cases: [], families: [], peakRssBytes: 0, stderr: '', restarts: 0 };
  const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-fuzz-'));
  try {
    let remaining = jobs.map((job) => ({ ...job }));
    while (remaining.length > 0) {
      const request: ChildRequest = { fixtures, scratch, jobs: remaining };
      const stopped = await runChild(entry, request, caseTimeoutMs, run);
      if (stopped === undefined) break;
      // Continue after the case that crashed or hung, then with the jobs after it.
      run.restarts++;
      const position = remaining.findIndex((job) => job.family === stopped.family);
      const job = remaining[position]!;
      const end = job.start + job.count;
      const rest = stopped.index + 1 < end ? [{ ...job, start: stopped.index + 1, count: end - stopped.index - 1 }] : [];
      remaining = [...rest, ...remaining.slice(position + 1)];
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return run;
}

/** One child: resolves undefined when it finished every job, else the case it stopped at. */
function runChild(entry: string, request: ChildRequest, caseTimeoutMs: number, run: FuzzRun): Promise<{ family: string; index: number } | undefined> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], {
      env: { ...process.env, TENSORZOO_FUZZ_REQUEST: JSON.stringify(request) },
      // A V8 heap cap, so a runaway JavaScript allocation ends as a crash instead of swapping.
      execArgv: ['--max-old-space-size=1024'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let current: Extract<ChildMessage, { type: 'start' }> | undefined;
    let lastStarted: Extract<ChildMessage, { type: 'start' }> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    let stoppedAt: { family: string; index: number } | undefined;
    child.stderr!.on('data', (chunk: Buffer) => {
      // Attributed to the case running (or last started), to replay it.
      run.stderr += `${lastStarted ? `[${lastStarted.family} #${lastStarted.index}] ` : ''}${chunk.toString()}`;
    });
    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'start':
          current = message;
          lastStarted = message;
          clearTimeout(timer);
          timer = setTimeout(() => {
            run.cases.push({ family: message.family, index: message.index, file: message.file, steps: message.steps, outcome: 'hang' });
            stoppedAt = { family: message.family, index: message.index };
            current = undefined;
            child.kill('SIGKILL');
          }, caseTimeoutMs);
          break;
        case 'done': {
          clearTimeout(timer);
          current = undefined;
          const { type: _type, ...report } = message;
          run.cases.push(report);
          break;
        }
        case 'family-end':
          run.families.push({ family: message.family, descriptorsAtStart: message.descriptorsAtStart, descriptorsAtEnd: message.descriptorsAtEnd });
          break;
        case 'end':
          finished = true;
          run.peakRssBytes = Math.max(run.peakRssBytes, message.peakRssBytes);
          break;
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (stoppedAt !== undefined) return resolve(stoppedAt);
      if (current !== undefined) {
        run.cases.push({ ...current, outcome: 'crash', message: `child exited with ${signal ?? `code ${code}`}` });
        return resolve({ family: current.family, index: current.index });
      }
      if (!finished || code !== 0) return reject(new Error(`fuzz child exited with ${signal ?? `code ${code}`} outside a case:\n${run.stderr.slice(-4000)}`));
      resolve(undefined);
    });
  });
}
