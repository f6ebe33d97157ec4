// The measuring core shared by every suite: contenders (one implementation at one thread count)
// are warmed up, then timed in alternation — each round runs every contender once, in a rotated
// order — so that a noisy host slows them all alike. A sample repeats the operation enough times
// to last `minSampleMs`; the per-operation time is the sample's mean.
import { availableParallelism, cpus, arch, release, type } from 'node:os';

export type Impl = 'tensorzoo-wasm' | 'tensorzoo-reference' | 'tfjs-wasm' | 'ort-web' | 'ort-node' | 'tensorzoo-tokenizer' | 'sentencepiece-wasm' | 'wasm-loop' | 'ort-web-acc4' | 'ort-node-acc4';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
}

export interface CaseResult {
  suite: string;
  name: string;
  impl: Impl;
  threads: number;
  metric: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  samples: number;
  /** The process group the case was measured in (ratios are only taken within one group). */
  group: string;
}

export interface Contender {
  impl: Impl;
  threads: number;
  /** Called before each of this contender's samples (e.g. to switch a thread setting). */
  activate?(): void | Promise<void>;
  /** One operation, including reading the result back to JavaScript. */
  run(): void | Promise<void>;
}

/** Converts a time (ms) into named metrics, e.g. GFLOP/s and GB/s. */
export type Metrics = (ms: number) => Record<string, { value: number; unit: string }>;

export interface MeasureOptions {
  rounds: number;
  warmupMs: number;
  minSampleMs: number;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    os: `${type()} ${release()} ${arch()}`,
  };
}

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

async function timeOnce(contender: Contender, reps: number): Promise<number> {
  const start = performance.now();
  for (let rep = 0; rep < reps; rep++) await contender.run();
  return (performance.now() - start) / reps;
}

/** Measures every contender on one case, in alternation; returns one result per contender and metric. */
export async function measure(
  suite: string,
  name: string,
  group: string,
  contenders: Contender[],
  metrics: Metrics,
  options: MeasureOptions,
): Promise<CaseResult[]> {
  const reps = new Map<Contender, number>();
  // Warm-up (tier-up of wasm code, weight pre-packing, thread pools), and the repetition count.
  for (const contender of contenders) {
    await contender.activate?.();
    const deadline = performance.now() + options.warmupMs;
    let single = await timeOnce(contender, 1);
    while (performance.now() < deadline) single = Math.min(single, await timeOnce(contender, 1));
    reps.set(contender, Math.max(1, Math.ceil(options.minSampleMs / Math.max(single, 1e-3))));
  }
  const times = new Map<Contender, number[]>(contenders.map((contender) => [contender, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (let index = 0; index < contenders.length; index++) {
      const contender = contenders[(index + round) % contenders.length]!;
      await contender.activate?.();
      times.get(contender)!.push(await timeOnce(contender, reps.get(contender)!));
    }
  }
  const results: CaseResult[] = [];
  for (const contender of contenders) {
    const sorted = [...times.get(contender)!].sort((a, b) => a - b);
    const push = (metric: string, unit: string, convert: (ms: number) => number) => {
      // Throughputs invert the order: the fastest time is the maximum.
      const values = sorted.map(convert).sort((a, b) => a - b);
      results.push({
        suite, name, impl: contender.impl, threads: contender.threads, metric, unit,
        median: quantile(values, 0.5), min: values[0]!, max: values[values.length - 1]!, samples: values.length, group,
      });
    };
    push('time', 'ms', (ms) => ms);
    for (const [metric, { unit }] of Object.entries(metrics(1))) push(metric, unit, (ms) => metrics(ms)[metric]!.value);
  }
  return results;
}
