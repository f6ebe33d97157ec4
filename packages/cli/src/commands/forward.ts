// tensorzoo forward: runs the backbone (or the logits) on token ids from a JSON file in the
// fixtures' format, {"token_ids": {"shape", "data"}, "padding_mask": {...}}, and prints
// {"shape", "data"} as JSON on stdout.
import { readFile } from 'node:fs/promises';
import { tensor, tidy, TensorzooError } from '@tensorzoo/core';
import { GemmaBackbone, gemmaContextLength } from '@tensorzoo/models';
import { backendNames, selectBackend } from '../backend-choice.js';
import { ProgressBar } from '../progress.js';
import { quantizeOption } from './quantize.js';
import { modelParallelHelp, modelParallelOption, modelParallelOptions } from '../model-parallel.js';
import { choiceOption, requiredString, UsageError, type CommandSpec } from '../usage.js';

interface JsonArray {
  shape: number[];
  data: number[];
}

function readArray(file: string, key: string, value: unknown): JsonArray {
  const array = value as JsonArray | undefined;
  if (!array || !Array.isArray(array.shape) || !Array.isArray(array.data))
    throw new UsageError(`forward: --inputs ${file} expected "${key}" as {"shape": [...], "data": [...]}, received ${JSON.stringify(value)?.slice(0, 80)}`);
  if (array.shape.length !== 2 || array.shape[0]! * array.shape[1]! !== array.data.length)
    throw new UsageError(`forward: --inputs ${file} expected "${key}" of shape [batch, sequence] with matching data, received shape [${array.shape}] and ${array.data.length} values`);
  // Checked here: Int32Array.from would turn 2^32 + 5 into 5, 10.7 into 10 and "abc" or null into 0.
  const valid =
    key === 'padding_mask'
      ? (entry: unknown) => entry === 0 || entry === 1 || entry === true || entry === false
      : (entry: unknown) => Number.isSafeInteger(entry) && (entry as number) >= 0 && (entry as number) < 2 ** 31;
  const bad = array.data.findIndex((entry) => !valid(entry));
  if (bad >= 0)
    throw new UsageError(`forward: --inputs ${file} expected "${key}" data of ${key === 'padding_mask' ? '0/1 values' : 'integer token ids ≥ 0'}, received ${JSON.stringify(array.data[bad]) ?? 'undefined'} at [${Math.floor(bad / array.shape[1]!)}, ${bad % array.shape[1]!}]`);
  return array;
}

export const forwardCommand: CommandSpec = {
  name: 'forward',
  summary: 'Run GemmaBackbone on token ids from a JSON file and print the output (or the logits) as {"shape", "data"} JSON.',
  usage: 'tensorzoo forward --preset P --inputs FILE [--logits] [--backend reference|wasm|gpujs] [--lora FILE] [--quantize int8|int4] [--model-parallel N] [--dtype float32|bfloat16]',
  options: {
    preset: { type: 'string' },
    inputs: { type: 'string' },
    logits: { type: 'boolean' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    lora: { type: 'string' },
    quantize: { type: 'string' },
    ...modelParallelOptions,
  },
  optionHelp: [
    ['--preset P', 'built-in name, kaggle://…, hf://… or a local folder'],
    ['--inputs FILE', 'JSON {"token_ids": {"shape", "data"}, "padding_mask": {"shape", "data"}}'],
    ['--logits', 'print the logits [B, T, V] instead of the hidden states [B, T, D]'],
    ['--backend B', 'wasm (default), reference or gpujs'],
    ['--lora FILE', 'apply a .lora.h5 file first'],
    ['--quantize M', 'quantize a float preset on load: int8 or int4 (quantized presets load quantized without it)'],
    ...modelParallelHelp,
  ],
  async run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError(`forward: unexpected argument ${JSON.stringify(positionals[0])}`);
    const preset = requiredString('forward', 'preset', values.preset);
    const file = requiredString('forward', 'inputs', values.inputs);
    const quantize = quantizeOption('forward', values.quantize);
    const { distribution, dtype } = modelParallelOption('forward', values);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`forward: --inputs expected a readable JSON file, received ${file} (${(error as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError(`forward: --inputs ${file} expected a JSON object {"token_ids": {...}, "padding_mask": {...}}, received ${JSON.stringify(parsed)?.slice(0, 80)}`);
    const tokenIds = readArray(file, 'token_ids', parsed.token_ids);
    if (tokenIds.shape[1]! > gemmaContextLength)
      throw new UsageError(`forward: --inputs ${file} expected at most ${gemmaContextLength} tokens per row (the model's context length), received ${tokenIds.shape[1]}`);
    const paddingMask = parsed.padding_mask === undefined ? null : readArray(file, 'padding_mask', parsed.padding_mask);
    if (paddingMask && (paddingMask.shape[0] !== tokenIds.shape[0] || paddingMask.shape[1] !== tokenIds.shape[1]))
      throw new UsageError(`forward: --inputs expected padding_mask of shape [${tokenIds.shape}], received [${paddingMask.shape}]`);
    await selectBackend('forward', choiceOption('forward', 'backend', values.backend, backendNames), undefined);
    const progress = new ProgressBar(io.stderr);
    const backbone = await GemmaBackbone.fromPreset(preset, { onProgress: (event) => progress.update(event), quantize, distribution, dtype });
    if (typeof values.lora === 'string') await backbone.loadLoraWeights(values.lora);
    const output = tidy(() => {
      const hidden = backbone.call({
        tokenIds: tensor(Int32Array.from(tokenIds.data), tokenIds.shape, 'int32'),
        paddingMask: paddingMask ? tensor(Int32Array.from(paddingMask.data), paddingMask.shape, 'int32') : undefined,
      });
      return values.logits ? backbone.logits(hidden) : hidden;
    });
    const data = Array.from(output.dataSync());
    output.dispose();
    // JSON has no NaN or ±Inf: JSON.stringify would print null for them (issue 19). The weights
    // were checked finite at load, so these come from the computation itself.
    const nonFinite = data.filter((value) => !Number.isFinite(value)).length;
    if (nonFinite > 0) {
      const first = data.findIndex((value) => !Number.isFinite(value));
      throw new TensorzooError(`the output holds ${nonFinite} non-finite value${nonFinite === 1 ? '' : 's'} (NaN or ±Inf; the first, ${data[first]}, at flat index ${first} of shape [${output.shape.join(', ')}]), which JSON cannot carry`);
    }
    io.stdout.write(`${JSON.stringify({ shape: output.shape, data })}\n`);
    return 0;
  },
};
