// The small fixture tensors copied from KerasHub's quantized Gemma 2 presets (see fixtures/quantization/manifest.json).
import { readFileSync } from 'node:fs';

const folder = new URL('./fixtures/quantization/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', folder), 'utf8')) as Record<string, { shape: number[]; dtype: 'float32' | 'int8' }>;
export function fixture(name: string): { shape: number[]; values: Float32Array | Int8Array } {
  const bytes = readFileSync(new URL(`${name}.bin`, folder));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { shape, dtype } = manifest[name]!;
  return { shape, values: dtype === 'int8' ? new Int8Array(buffer) : new Float32Array(buffer) };
}

