// tensorzoo quantize: Keras's Model.quantize(mode) on a preset, saved as a KerasHub preset (int8
// or packed int4 datasets, the DTypePolicyMap in config.json). Progress on stderr; stdout gets one
// JSON line describing the result. The output folder is written atomically: everything goes to a
// hidden temporary folder that is renamed to --out at the end, so a failure leaves nothing.
import { readdir, stat } from 'node:fs/promises';
import { GemmaCausalLM, type LoadProgress } from '@tensorzoo/models';
import { backendNames, selectBackend } from '../backend-choice.js';
import { ProgressBar } from '../progress.js';
import { choiceOption, integerOption, requiredString, UsageError, type CommandSpec } from '../usage.js';

export const quantizationModes = ['int8', 'int4'] as const;

/** --quantize for generate/forward/finetune: quantize a float preset on load. */
export function quantizeOption(command: string, value: string | boolean | undefined): (typeof quantizationModes)[number] | undefined {
  return choiceOption(command, 'quantize', value, quantizationModes);
}

async function checkOutputFolder(out: string): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`quantize: --out expected a new folder, received ${out} (a file)`);
  const entries = await readdir(out);
  if (entries.length) throw new UsageError(`quantize: --out expected a new or empty folder, received ${out} (it holds ${entries.length} entries)`);
}

export const quantizeCommand: CommandSpec = {
  name: 'quantize',
  summary: "Quantize a Gemma preset with Keras's Model.quantize (int8, or int4 in blocks of 128) and save it as a KerasHub preset folder.",
  usage: 'tensorzoo quantize --preset P --mode int8|int4 --out DIR [--backend reference|wasm|gpujs] [--threads N]',
  options: {
    preset: { type: 'string' },
    mode: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
  },
  optionHelp: [
    ['--preset P', 'a float preset: built-in name, kaggle://…, hf://… or a local folder'],
    ['--mode M', "int8 (per-channel weights, activations quantized per token) or int4 (Keras's default: groups of 128 with zero points)"],
    ['--out DIR', 'the new preset folder (must not exist, or be empty); written atomically'],
    ['--backend B', 'wasm (default), reference or gpujs'],
    ['--threads N', 'wasm worker threads'],
  ],
  async run({ values, positionals }, io) {
    const op = 'quantize';
    if (positionals.length) throw new UsageError(`${op}: unexpected argument ${JSON.stringify(positionals[0])}`);
    const preset = requiredString(op, 'preset', values.preset);
    const mode = choiceOption(op, 'mode', requiredString(op, 'mode', values.mode), quantizationModes)!;
    const out = requiredString(op, 'out', values.out);
    await checkOutputFolder(out);
    await selectBackend(op, choiceOption(op, 'backend', values.backend, backendNames), integerOption(op, 'threads', values.threads, 1));
    const progress = new ProgressBar(io.stderr);
    // Quantized as read: each float kernel goes through the host quantizer, never onto the backend
    // (a preset that is already quantized gets Keras's "already quantized" error from fromPreset).
    const onProgress = (event: LoadProgress) => progress.update(event.label.startsWith('loading and quantizing') ? { ...event, label: `quantizing (${mode})` } : event);
    const model = await GemmaCausalLM.fromPreset(preset, { quantize: mode, onProgress });
    try {
      io.stderr.write(`quantize: writing ${out}\n`);
      await model.saveToPreset(out);
      const layers = Object.keys(model.backbone.quantizedLayers).length;
      const weightBytes = model.backbone.weights.reduce((total, variable) => total + variable.size * (variable.dtype === 'int8' ? 1 : variable.dtype === 'float32' || variable.dtype === 'int32' ? 4 : 2), 0);
      io.stdout.write(`${JSON.stringify({ preset, mode, out, quantizedLayers: layers, weightBytes })}\n`);
    } finally {
      model.backbone.dispose();
    }
    return 0;
  },
};
