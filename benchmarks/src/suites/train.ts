// Suite `train`: one LoRA fine-tuning step of the embedded demo model (tinycode-gemma2-6m,
// rank 8 on the query and value projections, as KerasHub's enable_lora) on the wasm backend at 1
// and 2 threads: forward pass on the gradient tape, backward pass, Adam update of the factors,
// the loss read back. Tokens/s counts every input position of the batch (batch × sequence).
// One process group (`threads-2`): the 1-thread contender keeps every kernel on the calling
// thread by raising the parallel threshold, as in the matmul suite.
import * as tz from '@tensorzoo/core';
import { setWasmParallelThreshold } from '@tensorzoo/core/backends/wasm';
import { Adam, variableGrads } from '@tensorzoo/layers';
import { GemmaCausalLM, causalLMLoss, type TrainingBatch } from '@tensorzoo/models';
import { measure, type CaseResult, type Contender } from '../harness.js';
import { prepareTensorzoo } from '../peers/tensorzoo.js';
import type { Suite, SuiteOptions } from '../suite.js';

interface Problem {
  name: string;
  batch: number;
  length: number;
  rounds: number;
}

function problems(quick: boolean): Problem[] {
  if (quick) return [{ name: 'lora-r8-b1-t16', batch: 1, length: 16, rounds: 3 }];
  return [
    { name: 'lora-r8-b1-t64', batch: 1, length: 64, rounds: 9 },
    { name: 'lora-r8-b4-t64', batch: 4, length: 64, rounds: 5 },
  ];
}

/** Seeded ids in [3, vocabulary) (no pad/bos/eos), all positions weighted. */
function syntheticBatch(batch: number, length: number, vocabulary: number): TrainingBatch {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 3 + (state % (vocabulary - 3));
  };
  const rows = Array.from({ length: batch }, () => Array.from({ length: length + 1 }, next));
  return {
    x: { tokenIds: rows.map((row) => row.slice(0, -1)), paddingMask: rows.map((row) => row.slice(0, -1).map(() => 1)) },
    y: rows.map((row) => row.slice(1)),
    sampleWeight: rows.map((row) => row.slice(1).map(() => 1)),
  };
}

const DEFAULT_THRESHOLD = 1 << 15;

const suite: Suite = {
  name: 'train',
  description: 'LoRA rank-8 training step (forward, backward, Adam) of tinycode-gemma2-6m on wasm, 1 and 2 threads: tokens/s',
  groups: ['threads-2'],

  async run(group: string, options: SuiteOptions): Promise<CaseResult[]> {
    await prepareTensorzoo(2);
    const model = await GemmaCausalLM.fromPreset();
    model.backbone.enableLora(8);
    const variables = model.backbone.trainableWeights;
    const optimizer = new Adam({ learningRate: 1e-4 });
    const results: CaseResult[] = [];
    try {
      for (const problem of problems(options.quick)) {
        const batch = syntheticBatch(problem.batch, problem.length, model.backbone.config.vocabularySize);
        const contender = (threads: number): Contender => ({
          impl: 'tensorzoo-wasm',
          threads,
          activate: () => setWasmParallelThreshold(threads > 1 ? DEFAULT_THRESHOLD : Infinity),
          run() {
            const { value, grads } = variableGrads(() => causalLMLoss(model.backbone, batch), variables);
            optimizer.applyGradients(grads, variables);
            value.dataSync();
            tz.dispose([value, ...grads]);
          },
        });
        const contenders = [1, 2].filter((threads) => options.impls.length === 0 || options.impls.includes('tensorzoo-wasm')).map(contender);
        const tokens = problem.batch * problem.length;
        process.stderr.write(`[${group}] ${problem.name}: ${contenders.map((c) => `${c.impl}/${c.threads}`).join(', ')}\n`);
        results.push(
          ...(await measure('train', problem.name, group, contenders, (ms) => ({ 'tokens/s': { value: (tokens * 1000) / ms, unit: 'tokens/s' } }), {
            ...options,
            rounds: options.quick ? problem.rounds : Math.max(problem.rounds, options.rounds),
          })),
        );
      }
    } finally {
      optimizer.dispose();
      model.backbone.dispose();
    }
    return results;
  },

  summarize(results: CaseResult[]): string[] {
    const lines: string[] = [];
    for (const name of [...new Set(results.map((r) => r.name))]) {
      const rate = (threads: number) => results.find((r) => r.name === name && r.threads === threads && r.metric === 'tokens/s')?.median;
      const time = (threads: number) => results.find((r) => r.name === name && r.threads === threads && r.metric === 'time')?.median;
      const [one, two] = [rate(1), rate(2)];
      if (one === undefined || two === undefined) continue;
      lines.push(`${name}: ${one.toFixed(0)} tokens/s (${time(1)!.toFixed(0)} ms/step) at 1 thread, ${two.toFixed(0)} tokens/s (${time(2)!.toFixed(0)} ms/step) at 2 threads: ${(two / one).toFixed(2)}×`);
    }
    return lines;
  },
};

export default suite;
