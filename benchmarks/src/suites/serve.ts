// Suite `serve`: `tensorzoo serve` on the embedded demo model (tinycode-gemma2-6m, wasm backend),
// measured from outside as a client sees it. The server runs in its own process (the CLI's bin,
// `--threads` set by the group) on 127.0.0.1; this process sends S concurrent streaming
// completions (greedy, 64 new tokens, prompts of different lengths) and reads the server-sent
// events. Per round:
//   tokens/s   aggregate generated tokens (the usage counts) / wall time of the round;
//   ttft-p50, ttft-p99   time to first token over every stream of every round (ms);
//   time       wall time of the round (ms).
// S = 1, 4, 16. Target (issue 17): 16 streams give ≥ 4× the aggregate tokens/s of 1 stream.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CaseResult } from '../harness.js';
import type { Suite, SuiteOptions } from '../suite.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const binary = `${root}packages/cli/bin/tensorzoo.js`;
const streamCounts = [1, 4, 16];
const prompts = ['import numpy as np\n', 'def main():\n    ', '# Licensed under the Apache License, Version 2.0\n', 'class Parser:\n    def __init__(self', 'from typing import'];

/** The CLI's dist is not a dependency of this package: compile it so that the server runs the current sources. */
function buildCli(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', `${root}packages/cli/tsconfig.build.json`], { stdio: 'inherit' });
}

async function startServer(threads: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...process.execArgv, binary, 'serve', '--port', '0', '--quiet', '--backend', 'wasm', '--threads', String(threads), '--max-batch', '16'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const line = /^(http:\/\/\S+)\n/m.exec(out);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with code ${code} before listening`)));
  });
  return { child, url };
}

interface StreamResult {
  ttftMs: number;
  tokens: number;
}

/** One streaming completion; resolves at [DONE]. */
async function stream(url: string, prompt: string, maxTokens: number): Promise<StreamResult> {
  const start = performance.now();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tinycode-gemma2-6m', prompt, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body) throw new Error(`serve answered ${response.status}: ${await response.text()}`);
  let ttftMs = -1;
  let tokens = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end).replace(/^data: /, '');
      buffered = buffered.slice(end + 2);
      if (event === '[DONE]') continue;
      const data = JSON.parse(event) as { choices: { text: string }[]; usage?: { completion_tokens: number } };
      if (ttftMs < 0 && data.choices[0]?.text) ttftMs = performance.now() - start;
      if (data.usage) tokens = data.usage.completion_tokens;
    }
  }
  return { ttftMs: ttftMs < 0 ? performance.now() - start : ttftMs, tokens };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

const suite: Suite = {
  name: 'serve',
  description: 'tensorzoo serve (tinycode-gemma2-6m, wasm, continuous batching) as an HTTP client sees it: aggregate tokens/s and time to first token at 1, 4, 16 concurrent streams',
  groups: ['threads-1', 'threads-2'],

  async run(group: string, options: SuiteOptions): Promise<CaseResult[]> {
    const threads = Number(group.replace('threads-', ''));
    buildCli();
    const { child, url } = await startServer(threads);
    const maxTokens = options.quick ? 16 : 64;
    const rounds = options.rounds || (options.quick ? 2 : 5);
    const results: CaseResult[] = [];
    try {
      for (const streams of streamCounts) {
        const round = () => Promise.all(Array.from({ length: streams }, (_, index) => stream(url, prompts[index % prompts.length]!, maxTokens)));
        await round(); // warm-up: wasm tier-up, cache growth
        const throughputs: number[] = [];
        const times: number[] = [];
        const ttfts: number[] = [];
        for (let index = 0; index < rounds; index++) {
          const start = performance.now();
          const finished = await round();
          const ms = performance.now() - start;
          times.push(ms);
          throughputs.push((finished.reduce((total, result) => total + result.tokens, 0) / ms) * 1000);
          ttfts.push(...finished.map((result) => result.ttftMs));
          process.stderr.write(`serve ${group}: ${streams} streams, round ${index + 1}: ${throughputs.at(-1)!.toFixed(0)} tokens/s\n`);
        }
        const entry = (metric: string, unit: string, values: number[], median: number): CaseResult => ({
          suite: 'serve', name: `streams-${streams}`, impl: 'tensorzoo-wasm', threads, metric, unit, median, min: Math.min(...values), max: Math.max(...values), samples: values.length, group,
        });
        results.push(
          entry('time', 'ms', times, quantile(times, 0.5)),
          entry('tokens/s', 'tokens/s', throughputs, quantile(throughputs, 0.5)),
          entry('ttft-p50', 'ms', ttfts, quantile(ttfts, 0.5)),
          entry('ttft-p99', 'ms', ttfts, quantile(ttfts, 0.99)),
        );
      }
    } finally {
      child.kill('SIGTERM');
    }
    return results;
  },

  summarize(results: CaseResult[]): string[] {
    const lines: string[] = [];
    for (const group of [...new Set(results.map((result) => result.group))]) {
      const value = (streams: number, metric: string) => results.find((result) => result.group === group && result.name === `streams-${streams}` && result.metric === metric)?.median;
      for (const streams of streamCounts)
        lines.push(
          `${group}: ${String(streams).padStart(2)} streams  ${value(streams, 'tokens/s')?.toFixed(0)} tokens/s aggregate, time to first token p50 ${value(streams, 'ttft-p50')?.toFixed(0)} ms, p99 ${value(streams, 'ttft-p99')?.toFixed(0)} ms`,
        );
      const one = value(1, 'tokens/s');
      const sixteen = value(16, 'tokens/s');
      if (one && sixteen) lines.push(`${group}: 16 streams give ${(sixteen / one).toFixed(2)}× the aggregate tokens/s of 1 stream (target ≥ 4×: ${sixteen / one >= 4 ? 'met' : 'NOT met'})`);
    }
    return lines;
  },
};

export default suite;
