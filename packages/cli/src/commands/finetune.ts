// tensorzoo finetune: LoRA fine-tuning of a Gemma causal LM on a text file, then the factors
// saved as a KerasHub-compatible .lora.h5. stdout: one JSON line per step {"step", "loss"}
// (the batch's loss before that step's update); stderr: loading and training progress.
// Data: a .jsonl file gives one example per line (a JSON string or {"text": …}), each packed by
// the preprocessor (BOS … EOS, truncated to the sequence length); any other file is tokenized
// whole and cut into consecutive windows of sequence-length + 1 tokens (the first starting with
// <bos>), the usual way to fine-tune a language model on running text.
import { readFile } from 'node:fs/promises';
import { Adam, AdamW, SGD, setRandomSeed, warmupCosineDecay, type LearningRateSchedule, type Optimizer } from '@tensorzoo/layers';
import { GemmaCausalLM, gemmaContextLength, type FitData } from '@tensorzoo/models';
import { backendNames, defaultBackend, selectBackend } from '../backend-choice.js';
import { ProgressBar } from '../progress.js';
import { quantizeOption } from './quantize.js';
import { choiceOption, integerOption, numberOption, requiredString, UsageError, type CommandSpec } from '../usage.js';

const optimizerNames = ['adam', 'adamw', 'sgd'] as const;

/** The token windows of a running text: [<bos>, t0, …] cut into rows of `length` ids, the last padded. */
function tokenWindows(ids: readonly number[], startTokenId: number, padTokenId: number, length: number): { tokenIds: number[][]; paddingMask: number[][] } {
  const stream = [startTokenId, ...ids];
  const tokenIds: number[][] = [];
  const paddingMask: number[][] = [];
  // Windows overlap by one token, so every token after <bos> is a target exactly once.
  for (let start = 0; start + 1 < stream.length; start += length - 1) {
    const row = stream.slice(start, start + length);
    paddingMask.push([...row.map(() => 1), ...new Array<number>(length - row.length).fill(0)]);
    tokenIds.push([...row, ...new Array<number>(length - row.length).fill(padTokenId)]);
  }
  return { tokenIds, paddingMask };
}

function jsonLines(file: string, content: string): string[] {
  return content.split('\n').flatMap((line, index) => {
    if (line.trim() === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new UsageError(`finetune: --data ${file} line ${index + 1} expected JSON (a string or {"text": …}), received ${JSON.stringify(line.slice(0, 40))} (${(error as Error).message})`);
    }
    const text = typeof parsed === 'string' ? parsed : (parsed as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new UsageError(`finetune: --data ${file} line ${index + 1} expected a string or {"text": "…"}, received ${line.slice(0, 40)}`);
    return [text];
  });
}

export const finetuneCommand: CommandSpec = {
  name: 'finetune',
  summary: 'LoRA fine-tune a Gemma causal LM on a text file and save the factors as a .lora.h5 file (printing {"step", "loss"} JSON lines).',
  usage:
    'tensorzoo finetune [--preset P] --data FILE --lora-rank R --steps N --output FILE.lora.h5 [--learning-rate LR] [--batch-size B] [--sequence-length T] [--optimizer adam|adamw|sgd] [--warmup-steps W] [--seed S] [--backend reference|wasm|gpujs] [--threads N] [--quantize int8|int4]',
  options: {
    preset: { type: 'string' },
    data: { type: 'string' },
    'lora-rank': { type: 'string' },
    steps: { type: 'string' },
    output: { type: 'string' },
    'learning-rate': { type: 'string' },
    'batch-size': { type: 'string' },
    'sequence-length': { type: 'string' },
    optimizer: { type: 'string' },
    'warmup-steps': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    quantize: { type: 'string' },
  },
  optionHelp: [
    ['--preset P', 'built-in name, kaggle://…, hf://… or a local folder (default: embedded tinycode-gemma2-6m)'],
    ['--data FILE', 'training text: .jsonl (one example per line) or any text file (cut into token windows)'],
    ['--lora-rank R', 'rank of the LoRA factors on the query and value projections'],
    ['--steps N', 'optimizer steps (the data is cycled as needed)'],
    ['--output FILE', 'where to save the factors (must end in .lora.h5)'],
    ['--learning-rate LR', 'peak learning rate (default 0.001)'],
    ['--batch-size B', 'examples per step (default 1)'],
    ['--sequence-length T', 'tokens per example (default 128)'],
    ['--optimizer O', 'adam (default), adamw or sgd (momentum 0.9)'],
    ['--warmup-steps W', 'linear warmup then cosine decay over the remaining steps (default 0: constant rate)'],
    ['--seed S', 'seed of the LoRA initialization and the shuffling (default 0)'],
    ['--backend B', 'wasm (default), reference or gpujs'],
    ['--threads N', 'wasm worker threads'],
    ['--quantize M', 'quantize a float preset on load: int8 or int4 (quantized presets load quantized without it)'],
  ],
  async run({ values, positionals }, io) {
    const op = 'finetune';
    if (positionals.length) throw new UsageError(`${op}: unexpected argument ${JSON.stringify(positionals[0])}`);
    const dataFile = requiredString(op, 'data', values.data);
    const rank = integerOption(op, 'lora-rank', requiredString(op, 'lora-rank', values['lora-rank']), 1)!;
    const steps = integerOption(op, 'steps', requiredString(op, 'steps', values.steps), 1)!;
    const output = requiredString(op, 'output', values.output);
    if (!output.endsWith('.lora.h5')) throw new UsageError(`${op}: --output expected a file name ending in .lora.h5, received ${JSON.stringify(output)}`);
    const learningRate = numberOption(op, 'learning-rate', values['learning-rate'], (value) => value > 0, 'a positive number') ?? 1e-3;
    const batchSize = integerOption(op, 'batch-size', values['batch-size'], 1) ?? 1;
    const sequenceLength = integerOption(op, 'sequence-length', values['sequence-length'], 2, gemmaContextLength) ?? 128;
    const optimizerName = choiceOption(op, 'optimizer', values.optimizer, optimizerNames) ?? 'adam';
    const warmupSteps = integerOption(op, 'warmup-steps', values['warmup-steps'], 0) ?? 0;
    if (warmupSteps >= steps) throw new UsageError(`${op}: --warmup-steps expected fewer than --steps (${steps}), received ${warmupSteps}`);
    const seed = integerOption(op, 'seed', values.seed, 0) ?? 0;
    const quantize = quantizeOption(op, values.quantize);
    const threads = integerOption(op, 'threads', values.threads, 1);
    const backend = choiceOption(op, 'backend', values.backend, backendNames);
    let content: string;
    try {
      content = await readFile(dataFile, 'utf8');
    } catch (error) {
      throw new UsageError(`${op}: --data expected a readable text file, received ${dataFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (content.trim() === '') throw new UsageError(`${op}: --data expected some text, received an empty file (${dataFile})`);
    const texts = dataFile.endsWith('.jsonl') ? jsonLines(dataFile, content) : null;

    if (threads !== undefined && (backend ?? defaultBackend) !== 'wasm') throw new UsageError(`${op}: --threads applies to --backend wasm`);
    await selectBackend(op, backend, undefined);
    if (threads !== undefined) {
      const wasm = (await import(/* @vite-ignore */ '@tensorzoo/core/backends/wasm')) as { setWasmThreads(threads: number): Promise<void> };
      await wasm.setWasmThreads(threads);
    }
    const progress = new ProgressBar(io.stderr);
    const model = await GemmaCausalLM.fromPreset(values.preset as string | undefined, { onProgress: (event) => progress.update(event), quantize });
    try {
      const tokenizer = model.preprocessor!.tokenizer;
      const data: FitData = texts ?? tokenWindows(tokenizer.tokenize(content) as number[], tokenizer.startTokenId, tokenizer.padTokenId, sequenceLength + 1);
      setRandomSeed(seed); // the A factors' he_uniform initialization: runs are reproducible
      model.backbone.enableLora(rank);
      const schedule: number | LearningRateSchedule = warmupSteps > 0 ? warmupCosineDecay(learningRate, warmupSteps, steps - warmupSteps) : learningRate;
      const optimizer: Optimizer =
        optimizerName === 'adamw' ? new AdamW({ learningRate: schedule }) : optimizerName === 'sgd' ? new SGD({ learningRate: schedule, momentum: 0.9 }) : new Adam({ learningRate: schedule });
      // Ctrl-C stops after the current step; the factors trained so far are still saved.
      const controller = new AbortController();
      const interrupt = () => {
        io.stderr.write('\nfinetune: interrupted, saving after this step\n');
        controller.abort();
      };
      process.once('SIGINT', interrupt);
      try {
        await model.fit(data, {
          steps,
          batchSize,
          sequenceLength,
          optimizer,
          seed,
          signal: controller.signal,
          onStep: ({ step, loss }) => {
            io.stdout.write(`${JSON.stringify({ step, loss })}\n`);
            progress.update({ label: 'fine-tuning', loaded: step, total: steps, unit: 'items' });
          },
        });
      } finally {
        process.removeListener('SIGINT', interrupt);
        optimizer.dispose();
      }
      await model.backbone.saveLoraWeights(output);
      io.stderr.write(`finetune: saved rank-${rank} LoRA factors to ${output}\n`);
    } finally {
      model.backbone.dispose();
    }
    return 0;
  },
};
