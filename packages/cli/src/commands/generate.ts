// tensorzoo generate: streams a continuation of PROMPT to stdout.
import { GemmaCausalLM, gemmaContextLength, maxGenerationLength, type SamplerSpec } from '@tensorzoo/models';
import { backendNames, selectBackend } from '../backend-choice.js';
import { ProgressBar } from '../progress.js';
import { readTextInput } from '../text-input.js';
import { quantizeOption } from './quantize.js';
import { modelParallelHelp, modelParallelOption, modelParallelOptions } from '../model-parallel.js';
import { choiceOption, integerOption, numberOption, UsageError, type CommandSpec } from '../usage.js';

const samplerNames = ['greedy', 'top_k', 'top_p', 'random'] as const;

export const generateCommand: CommandSpec = {
  name: 'generate',
  summary: 'Generate a continuation of PROMPT with a Gemma causal LM and stream it to stdout (the embedded tinycode-gemma2-6m model when no --preset is given).',
  usage: 'tensorzoo generate [--preset P] [--max-length N] [--sampler greedy|top_k|top_p|random] [--k K] [--p P] [--temperature T] [--seed S] [--backend reference|wasm|gpujs] [--threads N] [--lora FILE] [--quantize int8|int4] [--model-parallel N] [--dtype float32|bfloat16] [--stats] (PROMPT | - | --file PATH)',
  options: {
    preset: { type: 'string' },
    'max-length': { type: 'string' },
    sampler: { type: 'string' },
    k: { type: 'string' },
    p: { type: 'string' },
    temperature: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    lora: { type: 'string' },
    file: { type: 'string' },
    stats: { type: 'boolean' },
    quantize: { type: 'string' },
    ...modelParallelOptions,
  },
  optionHelp: [
    ['--preset P', 'built-in name, kaggle://…, hf://… or a local folder (default: embedded tinycode-gemma2-6m)'],
    ['--max-length N', 'total length in tokens, prompt included (default 64)'],
    ['--sampler S', 'greedy (default), top_k, top_p or random'],
    ['--k K', 'top_k: candidates kept (default 5); top_p: optional cap'],
    ['--p P', 'top_p: probability mass kept (default 0.1)'],
    ['--temperature T', 'softmax temperature for sampling samplers (default 1)'],
    ['--seed S', 'seed for sampling samplers'],
    ['--backend B', 'wasm (default), reference or gpujs'],
    ['--threads N', 'wasm worker threads'],
    ['--lora FILE', 'apply a .lora.h5 file saved by saveLoraWeights/KerasHub'],
    ['--file PATH', 'read PROMPT from a file (PROMPT - reads standard input)'],
    ['--stats', 'after the text, one JSON line on stderr: token counts, load ms, prefill ms, decode tokens/s, peak RSS'],
    ['--quantize M', 'quantize a float preset on load: int8 or int4 (quantized presets load quantized without it)'],
    ...modelParallelHelp,
  ],
  async run({ values, positionals }, io) {
    const prompt = await readTextInput({ command: 'generate', name: 'PROMPT', positionals, file: values.file }, io);
    const quantize = quantizeOption('generate', values.quantize);
    const { distribution, dtype } = modelParallelOption('generate', values);
    const maxLength = integerOption('generate', 'max-length', values['max-length'], 2) ?? 64;
    const samplerName = choiceOption('generate', 'sampler', values.sampler, samplerNames) ?? 'greedy';
    const k = integerOption('generate', 'k', values.k, 1);
    const p = numberOption('generate', 'p', values.p, (value) => value > 0 && value <= 1, 'a number in (0, 1]');
    const temperature = numberOption('generate', 'temperature', values.temperature, (value) => value > 0, 'a positive number');
    const seed = integerOption('generate', 'seed', values.seed, 0);
    if (samplerName === 'greedy' && (k !== undefined || p !== undefined || temperature !== undefined || seed !== undefined))
      throw new UsageError('generate: --k, --p, --temperature and --seed need a sampling --sampler (top_k, top_p or random)');
    if (p !== undefined && samplerName !== 'top_p') throw new UsageError('generate: --p applies to --sampler top_p');
    if (k !== undefined && samplerName === 'random') throw new UsageError('generate: --k applies to --sampler top_k or top_p');
    await selectBackend('generate', choiceOption('generate', 'backend', values.backend, backendNames), integerOption('generate', 'threads', values.threads, 1));
    const progress = new ProgressBar(io.stderr);
    const loadStarted = performance.now();
    const model = await GemmaCausalLM.fromPreset(values.preset as string | undefined, { onProgress: (event) => progress.update(event), quantize, distribution, dtype });
    if (typeof values.lora === 'string') await model.backbone.loadLoraWeights(values.lora);
    const loadMs = performance.now() - loadStarted;
    const sampler: SamplerSpec = samplerName === 'greedy' ? 'greedy' : { name: samplerName, k, p, temperature, seed };
    const tokenizer = model.preprocessor!.tokenizer;
    const promptIds = tokenizer.tokenize(prompt) as number[];
    // The context and the memory bound the generation, before anything is padded to --max-length.
    if (promptIds.length + 1 >= gemmaContextLength)
      throw new UsageError(`generate: PROMPT expected fewer than ${gemmaContextLength - 1} tokens (the model's context length is ${gemmaContextLength}), received ${promptIds.length} tokens`);
    const longest = maxGenerationLength(model.backbone.config, 1, promptIds.length + 1);
    if (maxLength > longest)
      throw new UsageError(`generate: --max-length expected at most ${longest} (the model's context length is ${gemmaContextLength}${longest < gemmaContextLength ? `; the memory budget allows ${longest} for this prompt` : ''}), received ${maxLength}`);
    if (promptIds.length + 1 >= maxLength)
      throw new UsageError(`generate: --max-length expected more than the prompt's ${promptIds.length + 1} tokens (with <bos>), received ${maxLength}`);
    // Stream by re-decoding the generated ids and printing the new suffix, holding back a trailing
    // U+FFFD (an incomplete UTF-8 sequence from byte-fallback pieces).
    io.stdout.write(prompt);
    const promptText = tokenizer.detokenize(promptIds) as string;
    const generated: number[] = [];
    let printed = '';
    const stops = new Set([tokenizer.endTokenId]);
    // --stats: every token the model samples counts (a final <eos> too); the first arrives after
    // the prefill, the rest are decode steps.
    const tokenTimes: number[] = [];
    const generateStarted = performance.now();
    model.generate(prompt, {
      maxLength,
      sampler,
      onToken: ({ batchIndex, tokenId }) => {
        if (batchIndex === 0) tokenTimes.push(performance.now());
        if (batchIndex !== 0 || stops.has(tokenId)) return;
        generated.push(tokenId);
        const text = (tokenizer.detokenize([...promptIds, ...generated]) as string).slice(promptText.length);
        const settled = text.endsWith('\uFFFD') ? text.replace(/\uFFFD+$/, '') : text;
        if (settled.startsWith(printed) && settled.length > printed.length) {
          io.stdout.write(settled.slice(printed.length));
          printed = settled;
        }
      },
    });
    const final = (tokenizer.detokenize([...promptIds, ...generated]) as string).slice(promptText.length);
    if (final.startsWith(printed)) io.stdout.write(final.slice(printed.length));
    io.stdout.write('\n');
    if (values.stats === true) io.stderr.write(`${JSON.stringify(generationStats(promptIds.length + 1, loadMs, generateStarted, tokenTimes))}\n`);
    return 0;
  },
};

/**
 * The --stats line: prompt tokens (with <bos>), generated tokens, load ms (fromPreset and LoRA),
 * prefill ms (generate() start to the first sampled token: tokenizing, the prompt's forward pass
 * and the first sample), decode tokens/s (the tokens after the first, over the time since the
 * first; null with fewer than two), and the process's peak resident set size in bytes.
 */
export function generationStats(promptTokens: number, loadMs: number, generateStarted: number, tokenTimes: readonly number[]) {
  const round = (value: number) => Math.round(value * 100) / 100;
  const first = tokenTimes[0];
  const last = tokenTimes[tokenTimes.length - 1];
  const decodeSeconds = first !== undefined && last !== undefined ? (last - first) / 1000 : 0;
  return {
    promptTokens,
    generatedTokens: tokenTimes.length,
    loadMs: round(loadMs),
    prefillMs: first === undefined ? null : round(first - generateStarted),
    decodeTokensPerSecond: tokenTimes.length >= 2 && decodeSeconds > 0 ? round((tokenTimes.length - 1) / decodeSeconds) : null,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
