// tensorzoo init --config <preset> --random: writes a KerasHub preset folder with seeded random
// weights of a built-in architecture (streamed to disk, atomically), for real-size runs and
// benchmarks without a download. The vocabulary is the embedded model's, padded to the
// architecture's size (docs/export-and-random-presets.md says why).
import { gemmaPresetNames, writeRandomPreset } from '@tensorzoo/models';
import { ProgressBar } from '../progress.js';
import { choiceOption, integerOption, numberOption, requiredString, UsageError, type CommandSpec } from '../usage.js';

export const initCommand: CommandSpec = {
  name: 'init',
  summary: 'Write a KerasHub preset with seeded random weights for a built-in architecture (--config NAME --random). Streams the weights to disk, one slab at a time.',
  usage: 'tensorzoo init --config PRESET --random --out DIR [--dtype float32|bfloat16] [--seed N] [--max-shard-size GIB]',
  options: {
    config: { type: 'string' },
    random: { type: 'boolean' },
    dtype: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'max-shard-size': { type: 'string' },
  },
  optionHelp: [
    ['--config PRESET', 'built-in preset name whose architecture to use (see tensorzoo presets)'],
    ['--random', 'seeded random weights (required: the only kind init writes)'],
    ['--out DIR', 'new (or empty) folder to write the preset to'],
    ['--dtype D', 'float32 or bfloat16 (default bfloat16, as the Kaggle presets)'],
    ['--seed N', 'seed of the weights (default 0)'],
    ['--max-shard-size GIB', "shard the weights above this many GiB (KerasHub's default 10)"],
  ],
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`init: expected no positional arguments, received ${JSON.stringify(positionals.join(' '))}`);
    const config = requiredString('init', 'config', values.config);
    if (!gemmaPresetNames.includes(config)) throw new UsageError(`init: --config expected a built-in preset name (${gemmaPresetNames.join(', ')}), received ${JSON.stringify(config)}`);
    if (values.random !== true) throw new UsageError('init: --random is required (init writes seeded random weights; use fromPreset/download for real ones)');
    const out = requiredString('init', 'out', values.out);
    const dtype = choiceOption('init', 'dtype', values.dtype, ['float32', 'bfloat16'] as const) ?? 'bfloat16';
    const seed = integerOption('init', 'seed', values.seed, 0) ?? 0;
    const maxShardSize = numberOption('init', 'max-shard-size', values['max-shard-size'], (value) => value > 0, 'a positive number of GiB');
    const progress = new ProgressBar(io.stderr);
    const started = performance.now();
    const result = await writeRandomPreset({ preset: config, dtype, seed, out, maxShardSize, onProgress: (event) => progress.update(event) });
    const seconds = (performance.now() - started) / 1000;
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    io.stdout.write(
      `${JSON.stringify({ out: result.out, preset: config, dtype, seed, parameters: result.parameterCount, weightBytes: result.weightBytes, files: result.files, seconds: Number(seconds.toFixed(2)), peakRssBytes })}\n`,
    );
    return 0;
  },
};
