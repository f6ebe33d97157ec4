// `tensorzoo export`: any KerasHub preset (a built-in name, kaggle://…, hf://… of Keras format, a
// local folder, or the embedded model) to a GGUF file or a Hugging Face folder. The preset's
// weights are read one tensor at a time (io/hf-export.ts, io/gguf-export.ts do the converting).

import { TensorzooError } from '@tensorzoo/core';
import { parseModelProto } from '../tokenizer/model-proto.js';
import { GemmaTokenizer } from '../tokenizer/gemma-tokenizer.js';
import { resolveGemmaConfig } from '../gemma/gemma-config.js';
import { detectPresetFormat, readKerasBackboneConfig } from '../gemma/gemma-loader.js';
import { presetFolder } from '../gemma/gemma-from-preset.js';
import { gemmaH5PathFor } from '../io/gemma-h5-layout.js';
import { exportGemmaToGguf, type GgufExportType } from '../io/gguf-export.js';
import { exportGemmaToHuggingFace, type FloatExportType, type GemmaExportSource } from '../io/hf-export.js';
import { readKerasWeights } from '../io/keras-weights-read.js';

export interface ExportPresetOptions {
  format: 'gguf' | 'hf';
  /** The GGUF file, or the Hugging Face folder (new or empty). */
  out: string;
  /** GGUF: f32, f16, bf16 or q8_0; Hugging Face: f32, f16 or bf16. Default: the stored dtype. */
  type?: GgufExportType;
  onProgress?: (event: { label: string; loaded: number; total: number; unit: 'bytes' }) => void;
}

const HF_TYPES: Partial<Record<GgufExportType, FloatExportType>> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };

/** Opens a KerasHub preset folder as an export source; `close()` releases its files. */
export async function openExportSource(folder: string, name: string): Promise<GemmaExportSource & { close(): void }> {
  const { format, config: json } = await detectPresetFormat(folder);
  if (format !== 'keras') throw new TensorzooError(`export: ${folder} is a Hugging Face checkpoint; export reads KerasHub presets (config.json with "registered_name")`);
  const config = resolveGemmaConfig(readKerasBackboneConfig(json, `${folder}/config.json`));
  if (config.quantizedLayers && Object.keys(config.quantizedLayers).length > 0)
    throw new TensorzooError(`export: ${folder} is a quantized preset (${Object.keys(config.quantizedLayers).length} quantized layers); export float presets (GGUF q8_0 quantizes on export)`);
  const tokenizer = await GemmaTokenizer.fromPreset(folder);
  const proto = parseModelProto(tokenizer.protoBytes);
  const weights = await readKerasWeights(folder);
  try {
    const embedding = gemmaH5PathFor('token_embedding/embeddings', config);
    const storedDtype = weights.info(embedding).dtype;
    if (storedDtype !== 'float32' && storedDtype !== 'bfloat16' && storedDtype !== 'float16')
      throw new TensorzooError(`export: ${folder} stores its embedding as ${storedDtype}; export needs float32, bfloat16 or float16 weights`);
    return {
      name,
      config,
      storedDtype,
      vocabulary: tokenizer.protoBytes,
      specialTokens: { bos: tokenizer.startTokenId, eos: tokenizer.endTokenId, pad: tokenizer.padTokenId, unk: proto.trainerSpec.unkId },
      readVariable: (path) => weights.get(gemmaH5PathFor(path, config)),
      close: () => weights.close(),
    };
  } catch (error) {
    weights.close();
    throw error;
  }
}

/** Exports `preset` (undefined: the embedded model); returns the files written. */
export async function exportPreset(preset: string | undefined, options: ExportPresetOptions): Promise<{ out: string; files: string[]; bytes: number }> {
  if (options.format !== 'gguf' && options.format !== 'hf') throw new TensorzooError(`export: argument 'format' expected "gguf" or "hf", received ${JSON.stringify(options.format)}`);
  if (options.format === 'hf' && options.type !== undefined && HF_TYPES[options.type] === undefined)
    throw new TensorzooError(`export: argument 'type' expected f32, f16 or bf16 for the Hugging Face format, received ${JSON.stringify(options.type)}`);
  const folder = await presetFolder(preset);
  const name = preset === undefined ? 'tinycode-gemma2-6m' : preset.replace(/\/+$/, '').split(/[/\\]/).pop()!;
  const source = await openExportSource(folder, name);
  try {
    if (options.format === 'gguf') {
      const bytes = await exportGemmaToGguf(source, options.out, { type: options.type, onProgress: options.onProgress });
      return { out: options.out, files: [options.out], bytes };
    }
    const files = await exportGemmaToHuggingFace(source, options.out, { dtype: options.type === undefined ? undefined : HF_TYPES[options.type] });
    const { stat } = await import('node:fs/promises');
    let bytes = 0;
    for (const file of files) bytes += (await stat(`${options.out}/${file}`)).size;
    return { out: options.out, files, bytes };
  } finally {
    source.close();
  }
}
