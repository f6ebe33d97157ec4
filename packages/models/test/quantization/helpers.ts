// The quantized fixtures (KerasHub 0.32 / Keras 3.16 `quantize(mode)` then `save_to_preset`) and
// their reference JSON, read once per test file.
import { readFileSync } from 'node:fs';
import { fixture } from '../io/helpers.js';

export interface QuantReference {
  config: Record<string, unknown>;
  mode: 'int8' | 'int4';
  float_preset: string;
  inputs: { token_ids: { shape: number[]; data: number[] }; padding_mask: { shape: number[]; data: number[] } };
  float_sequence_output: { shape: number[]; data: number[] };
  sequence_output: { shape: number[]; data: number[] };
  logits: { shape: number[]; data: number[] };
  max_abs_quantization_error: number;
  weights: { path: string; shape: number[]; dtype: string }[];
  greedy: { prompt_ids: number[]; output_ids: number[] };
  generate: { prompts: string[]; max_length: number; sampler: string; outputs: string[] };
}

/** Each quantized preset, the float preset it was made from, and Keras's session names in its file. */
export const quantFixtures = [
  { name: 'keras_gemma2_quant_int8', floatPreset: 'keras_gemma2_quant', mode: 'int8', backboneName: 'gemma_backbone', autoNameStart: 0 },
  { name: 'keras_gemma2_quant_int4', floatPreset: 'keras_gemma2_quant', mode: 'int4', backboneName: 'gemma_backbone_1', autoNameStart: 6 },
  { name: 'keras_gemma_quant_int8', floatPreset: 'keras_gemma_quant', mode: 'int8', backboneName: 'gemma_backbone_2', autoNameStart: 12 },
] as const;

const cache = new Map<string, QuantReference>();

export function quantReference(name: string): QuantReference {
  let reference = cache.get(name);
  if (!reference) cache.set(name, (reference = JSON.parse(readFileSync(fixture(`${name}.reference.json`), 'utf8')) as QuantReference));
  return reference;
}
