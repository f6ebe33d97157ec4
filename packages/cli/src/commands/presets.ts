// tensorzoo presets: the built-in preset table.
import { GemmaBackbone } from '@tensorzoo/models';
import { UsageError, type CommandSpec } from '../usage.js';

export const presetsCommand: CommandSpec = {
  name: 'presets',
  summary: 'List the built-in presets (KerasHub\'s Gemma table) with parameter counts and Kaggle handles.',
  usage: 'tensorzoo presets [--json]',
  options: { json: { type: 'boolean' } },
  optionHelp: [['--json', 'print JSON instead of a table']],
  async run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError(`presets: unexpected argument ${JSON.stringify(positionals[0])}`);
    const presets = Object.entries(GemmaBackbone.presets);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(presets.map(([name, preset]) => ({ name, ...preset.metadata, kaggleHandle: preset.kaggleHandle })))}\n`);
      return 0;
    }
    const width = Math.max(...presets.map(([name]) => name.length));
    for (const [name, preset] of presets)
      io.stdout.write(`${name.padEnd(width)}  ${String(preset.metadata.params).padStart(14)}  ${preset.kaggleHandle}  ${preset.metadata.description}\n`);
    return 0;
  },
};
