// Suite `matmul`: float32 C = A · B at 256³, 512³, 1024³, and the decoding GEMV
// x[1, 2048] · W[2048, 16384] (W row-major [K, N], as a Dense kernel is stored), on every
// implementation at 1 and 2 threads. Two process groups: `threads-1` (tensorzoo wasm and
// reference, tfjs-wasm, ort-web and ort-node at 1 thread) and `threads-2` (tensorzoo wasm at 1
// and 2 threads, ort-web and ort-node at 2 threads).
import { measure, type CaseResult, type Contender } from '../harness.js';
import { ortMatMul } from '../peers/ort.js';
import { prepareTensorzoo, tensorzooMatMul, type Disposable } from '../peers/tensorzoo.js';
import { tfjsMatMul } from '../peers/tfjs.js';
import type { Suite, SuiteOptions } from '../suite.js';

interface Problem {
  name: string;
  M: number;
  K: number;
  N: number;
  rounds: number;
}

function problems(quick: boolean): Problem[] {
  if (quick) return [{ name: 'matmul-128', M: 128, K: 128, N: 128, rounds: 5 }, { name: 'gemv-256x2048', M: 1, K: 256, N: 2048, rounds: 5 }];
  return [
    // Rounds are cheap next to a noisy host: more of them steady the medians.
    { name: 'matmul-256', M: 256, K: 256, N: 256, rounds: 31 },
    { name: 'matmul-512', M: 512, K: 512, N: 512, rounds: 25 },
    { name: 'matmul-1024', M: 1024, K: 1024, N: 1024, rounds: 21 },
    { name: 'gemv-2048x16384', M: 1, K: 2048, N: 16384, rounds: 31 },
  ];
}

function seededValues(length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = state / 2 ** 32 - 0.5;
  }
  return values;
}

const suite: Suite = {
  name: 'matmul',
  description: 'float32 matmul 256³/512³/1024³ and GEMV 1×2048×16384: GFLOP/s and GB/s',
  groups: ['threads-1', 'threads-2'],

  async run(group: string, options: SuiteOptions): Promise<CaseResult[]> {
    const twoThreads = group === 'threads-2';
    const wanted = (impl: string) => options.impls.length === 0 || options.impls.includes(impl);
    await prepareTensorzoo(twoThreads ? 2 : 1);
    const results: CaseResult[] = [];
    for (const problem of problems(options.quick)) {
      const { M, K, N } = problem;
      const a = seededValues(M * K, 1);
      const b = seededValues(K * N, 2);
      const contenders: (Contender & Disposable)[] = [];
      if (wanted('tensorzoo-wasm')) {
        contenders.push(await tensorzooMatMul('tensorzoo-wasm', 1, [M, K], a, [K, N], b));
        if (twoThreads) contenders.push(await tensorzooMatMul('tensorzoo-wasm', 2, [M, K], a, [K, N], b));
      }
      // The reference triple loop takes ~10 s at 1024³; it is measured where it finishes in time.
      if (!twoThreads && wanted('tensorzoo-reference') && M * N * K <= 512 ** 3)
        contenders.push(await tensorzooMatMul('tensorzoo-reference', 1, [M, K], a, [K, N], b));
      if (!twoThreads && wanted('tfjs-wasm')) contenders.push(await tfjsMatMul([M, K], a, [K, N], b));
      if (wanted('ort-web')) contenders.push(await ortMatMul('ort-web', twoThreads ? 2 : 1, M, K, N, a, b));
      if (wanted('ort-node')) contenders.push(await ortMatMul('ort-node', twoThreads ? 2 : 1, M, K, N, a, b));
      const flops = 2 * M * N * K;
      const weightBytes = K * N * 4;
      const metrics = (ms: number) => ({
        'GFLOP/s': { value: flops / ms / 1e6, unit: 'GFLOP/s' },
        ...(M === 1 ? { 'GB/s': { value: weightBytes / ms / 1e6, unit: 'GB/s' } } : {}),
      });
      process.stderr.write(`[${group}] ${problem.name}: ${contenders.map((c) => `${c.impl}/${c.threads}`).join(', ')}\n`);
      results.push(...(await measure('matmul', problem.name, group, contenders, metrics, { ...options, rounds: options.quick ? problem.rounds : Math.max(problem.rounds, options.rounds) })));
      for (const contender of contenders) await contender.dispose();
    }
    return results;
  },

  summarize(results: CaseResult[]): string[] {
    const median = (name: string, impl: string, threads: number, group: string) =>
      results.find((r) => r.name === name && r.impl === impl && r.threads === threads && r.group.split('+')[0] === group && r.metric === 'GFLOP/s')?.median;
    const lines: string[] = [];
    const check = (label: string, name: string, mine: [string, number, string], theirs: [string, number, string], target: number) => {
      const x = median(name, ...mine);
      const y = median(name, ...theirs);
      if (x === undefined || y === undefined) return;
      const ratio = x / y;
      lines.push(`${ratio >= target ? 'met   ' : 'MISSED'} ${label}: ${ratio.toFixed(2)}× (target ≥ ${target}×)`);
    };
    const big = results.some((r) => r.name === 'matmul-1024') ? 'matmul-1024' : 'matmul-128';
    const gemv = results.some((r) => r.name === 'gemv-2048x16384') ? 'gemv-2048x16384' : 'gemv-256x2048';
    check(`${big} 1 thread vs tfjs-wasm`, big, ['tensorzoo-wasm', 1, 'threads-1'], ['tfjs-wasm', 1, 'threads-1'], 1.2);
    check(`${big} 1 thread vs ort-web 1 thread`, big, ['tensorzoo-wasm', 1, 'threads-1'], ['ort-web', 1, 'threads-1'], 1.3);
    check(`${big} 2 threads vs our 1 thread`, big, ['tensorzoo-wasm', 2, 'threads-2'], ['tensorzoo-wasm', 1, 'threads-2'], 1.85);
    check(`${big} 2 threads vs ort-web 2 threads`, big, ['tensorzoo-wasm', 2, 'threads-2'], ['ort-web', 2, 'threads-2'], 1.3);
    check(`${gemv} 1 thread vs ort-web 1 thread`, gemv, ['tensorzoo-wasm', 1, 'threads-1'], ['ort-web', 1, 'threads-1'], 1.0);
    check(`${gemv} 2 threads vs ort-web 2 threads`, gemv, ['tensorzoo-wasm', 2, 'threads-2'], ['ort-web', 2, 'threads-2'], 1.0);
    return lines;
  },
};

export default suite;
