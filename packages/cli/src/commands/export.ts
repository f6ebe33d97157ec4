// tensorzoo export: a KerasHub preset as a GGUF file (llama.cpp, ollama) or a Hugging Face folder
// (transformers), converted one tensor at a time and written atomically.
import { exportPreset, type GgufExportType } from '@tensorzoo/models';
import { ProgressBar } from '../progress.js';
import { choiceOption, requiredString, UsageError, type CommandSpec } from '../usage.js';

const types = ['f32', 'f16', 'bf16', 'q8_0'] as const;

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'Export a preset as GGUF (llama.cpp / ollama; f32, f16, bf16 or q8_0) or as a Hugging Face folder (config.json, safetensors, tokenizer.model).',
  usage: 'tensorzoo export [--preset P] --format gguf|hf --out PATH [--type f32|f16|bf16|q8_0]',
  options: {
    preset: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    type: { type: 'string' },
  },
  optionHelp: [
    ['--preset P', 'built-in name, kaggle://…, hf://… or a local KerasHub preset folder (default: embedded tinycode-gemma2-6m)'],
    ['--format F', 'gguf (one file) or hf (a Hugging Face transformers folder)'],
    ['--out PATH', 'the .gguf file, or the new (or empty) folder for hf'],
    ['--type T', 'weights type: f32, f16, bf16 (both formats) or q8_0 (gguf); default: as stored'],
  ],
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`export: expected no positional arguments, received ${JSON.stringify(positionals.join(' '))}`);
    const format = choiceOption('export', 'format', values.format, ['gguf', 'hf'] as const);
    if (format === undefined) throw new UsageError('export: --format is required (gguf or hf)');
    const out = requiredString('export', 'out', values.out);
    const type = choiceOption('export', 'type', values.type, format === 'gguf' ? types : (['f32', 'f16', 'bf16'] as const)) as GgufExportType | undefined;
    const progress = new ProgressBar(io.stderr);
    const started = performance.now();
    const result = await exportPreset(values.preset as string | undefined, { format, out, type, onProgress: (event) => progress.update(event) });
    const seconds = (performance.now() - started) / 1000;
    io.stdout.write(`${JSON.stringify({ out: result.out, format, type: type ?? 'as stored', files: result.files, bytes: result.bytes, seconds: Number(seconds.toFixed(2)), peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
    return 0;
  },
};
