// tensorzoo chat: an interactive terminal chat with a Gemma causal LM (src/server/chat-session.ts).
import { backendNames, selectBackend } from '../backend-choice.js';
import { ProgressBar } from '../progress.js';
import { ChatSession } from '../server/chat-session.js';
import { loadServedModel } from '../server/model.js';
import { choiceOption, integerOption, numberOption, UsageError, type CommandIO, type CommandSpec } from '../usage.js';

export const chatCommand: CommandSpec = {
  name: 'chat',
  summary:
    "Chat with a Gemma causal LM in the terminal over Gemma's chat template, streaming each answer. /reset clears the history, /exit or Ctrl-D quits, Ctrl-C stops the current answer.",
  usage: 'tensorzoo chat [--preset P] [--system TEXT] [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--backend reference|wasm|gpujs] [--threads N] [--lora FILE]',
  options: {
    preset: { type: 'string' },
    system: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    'top-k': { type: 'string' },
    seed: { type: 'string' },
    'context-length': { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    lora: { type: 'string' },
  },
  optionHelp: [
    ['--preset P', 'built-in name, kaggle://…, hf://… or a local folder (default: embedded tinycode-gemma2-6m)'],
    ['--system TEXT', 'a system message (folded into the first user turn, as Gemma does)'],
    ['--max-tokens N', 'longest answer in tokens (default 256)'],
    ['--temperature T', '0 is greedy (default 0.7)'],
    ['--top-p P', 'nucleus sampling mass in (0, 1] (default 1: off)'],
    ['--top-k K', 'sample among the K most probable tokens'],
    ['--seed S', 'seed for sampling'],
    ['--context-length N', "prompt + answer tokens (default: the preset's sequence length); older turns are dropped to fit"],
    ['--backend B', 'wasm (default), reference or gpujs'],
    ['--threads N', 'wasm worker threads'],
    ['--lora FILE', 'apply a .lora.h5 file saved by saveLoraWeights/KerasHub'],
  ],
  async run({ values, positionals }, io: CommandIO & { stdin?: NodeJS.ReadableStream }) {
    if (positionals.length) throw new UsageError(`chat: expected no positional arguments (type messages after it starts), received ${JSON.stringify(positionals[0])}`);
    const sampling = {
      maxTokens: integerOption('chat', 'max-tokens', values['max-tokens'], 1) ?? 256,
      temperature: numberOption('chat', 'temperature', values.temperature, (value) => value >= 0 && value <= 2, 'a number in [0, 2]') ?? 0.7,
      topP: numberOption('chat', 'top-p', values['top-p'], (value) => value > 0 && value <= 1, 'a number in (0, 1]') ?? null,
      topK: integerOption('chat', 'top-k', values['top-k'], 1) ?? null,
      seed: integerOption('chat', 'seed', values.seed, 0) ?? null,
    };
    const contextLength = integerOption('chat', 'context-length', values['context-length'], 2);
    await selectBackend('chat', choiceOption('chat', 'backend', values.backend, backendNames), integerOption('chat', 'threads', values.threads, 1));
    const progress = new ProgressBar(io.stderr);
    const model = await loadServedModel({ preset: values.preset as string | undefined, lora: values.lora as string | undefined, contextLength, maxBatchSize: 1, onProgress: (event) => progress.update(event) });
    const input = io.stdin ?? process.stdin;
    const terminal = Boolean((input as NodeJS.ReadStream).isTTY && (io.stdout as NodeJS.WriteStream).isTTY);
    if (terminal) io.stderr.write(`tensorzoo chat: ${model.id} (/reset clears the history, /exit or Ctrl-D quits, Ctrl-C stops an answer)\n`);
    const session = new ChatSession(model, input, io.stdout, { system: values.system as string | undefined, sampling, showPrompt: terminal, terminal });
    await session.finished;
    return 0;
  },
};
