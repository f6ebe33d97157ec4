// Export to a Hugging Face folder and to GGUF, read back:
// - the HF folder through our own loader (GemmaBackbone.fromPreset on the folder) gives the same
//   logits as the source preset, for Gemma 1 with hiddenDim ≠ heads · headDim (KerasHub's q_proj
//   shape bug) and one KV head, Gemma 2 with two KV heads, and the bf16 embedded model;
// - the GGUF through @huggingface/gguf (an independent reader from npm): llama.cpp's metadata and
//   tensor names, dims, types and offsets, and the tensor bytes (F32 exact, norms + 1, Q8_0 blocks
//   as llama.cpp defines them, dequantizing to within half a step).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tz from '@tensorzoo/core';
import { gguf } from '@huggingface/gguf';

import { GemmaBackbone } from '../../src/gemma/index.js';
import { exportPreset, openExportSource } from '../../src/presets/export-preset.js';
import { float32ToFloat16, quantizeQ8_0 } from '../../src/io/gguf-format.js';
import { planGemmaGguf } from '../../src/io/gguf-export.js';
import { exportGemmaToHuggingFace } from '../../src/io/hf-export.js';
import { toFloat32 } from '../../src/io/stored-tensor.js';
import { float16BitsToFloat32 } from '../../src/io/stored-tensor.js';
import { fixture } from './helpers.js';

const embedded = new URL('../../../../models/tinycode-gemma2-6m', import.meta.url).pathname;
const folders: string[] = [];
async function scratch(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'tz-export-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

function logitsOf(backbone: GemmaBackbone, ids: number[][]): Float32Array {
  const logits = tz.tidy(() => backbone.logits(backbone.call({ tokenIds: tz.tensor(ids, undefined, 'int32') })));
  const values = Float32Array.from(logits.dataSync() as Float32Array);
  logits.dispose();
  return values;
}

/** @huggingface/gguf's reader, with the metadata as a plain record (its types know fixed keys only). */
async function readGguf(path: string): Promise<{ metadata: Record<string, unknown>; tensorInfos: Awaited<ReturnType<typeof gguf>>['tensorInfos']; tensorDataOffset: bigint }> {
  const result = await gguf(path, { allowLocalFile: true });
  return { metadata: result.metadata as unknown as Record<string, unknown>, tensorInfos: result.tensorInfos, tensorDataOffset: BigInt(result.tensorDataOffset) };
}

describe('Hugging Face export', () => {
  for (const [name, source] of [
    ['keras_gemma_tiny (Gemma 1, D 48 ≠ N·H 64, K 1)', fixture('keras_gemma_tiny')],
    ['keras_gemma2_tiny (Gemma 2, K 2)', fixture('keras_gemma2_tiny')],
    ['tinycode-gemma2-6m (bfloat16)', embedded],
  ] as const) {
    it(`${name}: our loader reads the folder back to the same logits`, async () => {
      const out = join(await scratch(), 'hf');
      const result = await exportPreset(source, { format: 'hf', out });
      expect(result.files).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.model', 'tokenizer_config.json']);
      const original = await GemmaBackbone.fromPreset(source);
      const exported = await GemmaBackbone.fromPreset(out);
      try {
        const ids = [[2, 5, 17, 300, 9, 44, 1000, 3]];
        const expected = logitsOf(original, ids);
        const actual = logitsOf(exported, ids);
        let difference = 0;
        for (let index = 0; index < expected.length; index++) difference = Math.max(difference, Math.abs(expected[index]! - actual[index]!));
        expect(difference).toBeLessThanOrEqual(1e-5);
      } finally {
        original.dispose();
        exported.dispose();
      }
      const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
      expect(await readFile(join(out, 'tokenizer.model'))).toEqual(await readFile(join(source, 'assets', 'tokenizer', 'vocabulary.spm')));
      return config;
    });
  }

  it('writes Gemma 2 settings (gemma2 model_type, caps, window, query_pre_attn_scalar), shards with an index, and converts dtypes', async () => {
    const out = join(await scratch(), 'hf');
    await exportPreset(embedded, { format: 'hf', out, type: 'f32' });
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['Gemma2ForCausalLM'],
      model_type: 'gemma2',
      dtype: 'float32',
      hidden_size: 256,
      intermediate_size: 1024,
      num_key_value_heads: 1,
      query_pre_attn_scalar: 64,
      sliding_window: 128,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
      bos_token_id: 2,
      eos_token_id: 1,
      pad_token_id: 0,
      tie_word_embeddings: true,
    });
    expect(config.layer_types.slice(0, 2)).toEqual(['sliding_attention', 'full_attention']);
    const gemma1 = JSON.parse(await readFile(join(await (async () => {
      const folder = join(await scratch(), 'hf1');
      await exportPreset(fixture('keras_gemma_tiny'), { format: 'hf', out: folder });
      return folder;
    })(), 'config.json'), 'utf8'));
    expect(gemma1).toMatchObject({ model_type: 'gemma', architectures: ['GemmaForCausalLM'], hidden_size: 48, head_dim: 16, num_attention_heads: 4 });
    expect(gemma1.query_pre_attn_scalar).toBeUndefined();
    await expect(exportPreset(embedded, { format: 'hf', out: join(await scratch(), 'x'), type: 'q8_0' })).rejects.toThrow(/'type' expected f32, f16 or bf16.*"q8_0"/);
    await expect(exportPreset(embedded, { format: 'hf', out })).rejects.toThrow(/must be a new or empty folder; it holds 5 entries/);

    // Sharded: model-0000i-of-0000n.safetensors and the index, which our loader follows.
    const source = await openExportSource(fixture('keras_gemma2_tiny'), 'tiny');
    const sharded = join(await scratch(), 'sharded');
    try {
      const files = await exportGemmaToHuggingFace(source, sharded, { maxShardSizeBytes: 100_000 });
      expect(files).toContain('model.safetensors.index.json');
      expect(files.filter((file) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(file)).length).toBeGreaterThan(1);
    } finally {
      source.close();
    }
    const original = await GemmaBackbone.fromPreset(fixture('keras_gemma2_tiny'));
    const back = await GemmaBackbone.fromPreset(sharded);
    try {
      expect(logitsOf(back, [[2, 8, 9, 10]])).toEqual(logitsOf(original, [[2, 8, 9, 10]]));
    } finally {
      original.dispose();
      back.dispose();
    }
  });
});

describe('GGUF export', () => {
  it('has llama.cpp gemma2 metadata, the tokenizer and every tensor, read back by @huggingface/gguf', async () => {
    const out = join(await scratch(), 'model.gguf');
    await exportPreset(embedded, { format: 'gguf', out, type: 'f32' });
    const { metadata, tensorInfos, tensorDataOffset } = await readGguf(out);
    expect(metadata.version).toBe(3);
    expect(metadata['general.architecture']).toBe('gemma2');
    expect(metadata['general.file_type']).toBe(0);
    expect(metadata['gemma2.block_count']).toBe(6);
    expect(metadata['gemma2.embedding_length']).toBe(256);
    expect(metadata['gemma2.feed_forward_length']).toBe(1024);
    expect(metadata['gemma2.attention.head_count']).toBe(4);
    expect(metadata['gemma2.attention.head_count_kv']).toBe(1);
    expect(metadata['gemma2.attention.key_length']).toBe(64);
    expect(metadata['gemma2.attention.sliding_window']).toBe(128);
    expect(metadata['gemma2.attn_logit_softcapping']).toBe(50);
    expect(metadata['gemma2.final_logit_softcapping']).toBe(30);
    expect(metadata['tokenizer.ggml.model']).toBe('llama');
    const tokens = metadata['tokenizer.ggml.tokens'] as string[];
    expect(tokens.length).toBe(2048);
    expect(tokens.slice(0, 3)).toEqual(['<pad>', '<eos>', '<bos>']);
    expect(metadata['tokenizer.ggml.bos_token_id']).toBe(2);
    expect(metadata['tokenizer.ggml.eos_token_id']).toBe(1);
    expect(metadata['tokenizer.ggml.add_bos_token']).toBe(true);
    // 1 (token_embd) + 6 × 11 + 1 (output_norm); dims are the numpy shape reversed.
    expect(tensorInfos.length).toBe(68);
    const byName = new Map(tensorInfos.map((info) => [info.name, info]));
    expect(byName.get('token_embd.weight')!.shape.map(Number)).toEqual([256, 2048]);
    expect(byName.get('blk.0.attn_q.weight')!.shape.map(Number)).toEqual([256, 256]);
    expect(byName.get('blk.0.attn_k.weight')!.shape.map(Number)).toEqual([256, 64]);
    expect(byName.get('blk.0.attn_output.weight')!.shape.map(Number)).toEqual([256, 256]);
    expect(byName.get('blk.5.ffn_down.weight')!.shape.map(Number)).toEqual([1024, 256]);
    for (const norm of ['attn_norm', 'post_attention_norm', 'ffn_norm', 'post_ffw_norm']) expect(byName.get(`blk.3.${norm}.weight`)!.dtype).toBe(0);
    for (const info of tensorInfos) expect(Number(info.offset) % 32).toBe(0);

    // Tensor bytes: q_proj rows are heads' [H] slices, norms are 1 + w.
    const file = new Uint8Array(await readFile(out));
    const source = await openExportSource(embedded, 'x');
    try {
      const read = (name: string, count: number) => new Float32Array(file.slice(Number(tensorDataOffset) + Number(byName.get(name)!.offset), Number(tensorDataOffset) + Number(byName.get(name)!.offset) + count * 4).buffer);
      const query = toFloat32(source.readVariable('decoder_block_2/attention/query/kernel')); // [N=4, D=256, H=64]
      const q = read('blk.2.attn_q.weight', 256 * 256); // [N·H, D]
      for (const [n, d, h] of [[0, 0, 0], [1, 7, 3], [3, 255, 63], [2, 100, 40]] as const) expect(q[(n * 64 + h) * 256 + d]).toBe(query[(n * 256 + d) * 64 + h]);
      const scale = toFloat32(source.readVariable('decoder_block_1/post_ffw_norm/scale'));
      const norm = read('blk.1.post_ffw_norm.weight', 256);
      for (let index = 0; index < 256; index += 17) expect(norm[index]).toBe(Math.fround(1 + scale[index]!));
    } finally {
      source.close();
    }
  });

  it('writes Q8_0 blocks of 32 with an f16 scale as llama.cpp quantizes them', async () => {
    const out = join(await scratch(), 'model-q8.gguf');
    await exportPreset(embedded, { format: 'gguf', out, type: 'q8_0' });
    const { metadata, tensorInfos, tensorDataOffset } = await readGguf(out);
    expect(metadata['general.file_type']).toBe(7);
    const embedding = tensorInfos.find((info) => info.name === 'token_embd.weight')!;
    expect(embedding.dtype).toBe(8);
    const file = new Uint8Array(await readFile(out));
    const start = Number(tensorDataOffset) + Number(embedding.offset);
    const source = await openExportSource(embedded, 'x');
    try {
      const values = toFloat32(source.readVariable('token_embedding/embeddings'));
      // The first 64 rows, block by block: scale f16(max|x|/127), quants within half a step.
      const blocks = (64 * 256) / 32;
      const bytes = file.subarray(start, start + blocks * 34);
      expect(bytes).toEqual(quantizeQ8_0(values.subarray(0, 64 * 256)));
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let block = 0; block < blocks; block += 13) {
        const slice = values.subarray(block * 32, block * 32 + 32);
        const amax = Math.max(...Array.from(slice, Math.abs));
        const d = float16BitsToFloat32(Uint16Array.of(view.getUint16(block * 34, true)))[0]!;
        expect(view.getUint16(block * 34, true)).toBe(float32ToFloat16(amax / 127));
        for (let index = 0; index < 32; index++) expect(Math.abs(view.getInt8(block * 34 + 2 + index) * d - slice[index]!)).toBeLessThanOrEqual(d * 0.5 + amax * 2 ** -10);
      }
    } finally {
      source.close();
    }
  });

  it('exports bf16 and f16 matrices and refuses what llama.cpp would compute differently', async () => {
    const folder = await scratch();
    await exportPreset(embedded, { format: 'gguf', out: join(folder, 'b.gguf'), type: 'bf16' });
    await exportPreset(embedded, { format: 'gguf', out: join(folder, 'h.gguf'), type: 'f16' });
    expect((await readGguf(join(folder, 'b.gguf'))).tensorInfos.find((info) => info.name === 'blk.0.ffn_up.weight')!.dtype).toBe(30);
    expect((await readGguf(join(folder, 'h.gguf'))).tensorInfos.find((info) => info.name === 'blk.0.ffn_up.weight')!.dtype).toBe(1);
    // keras_gemma_tiny: D / N = 12 but head_dim 16 with query_head_dim_normalize true → fine;
    // keras_gemma2_tiny scales by (D / N) = 8 = head_dim → fine; both export.
    await exportPreset(fixture('keras_gemma_tiny'), { format: 'gguf', out: join(folder, 'g1.gguf') });
    const g1 = await readGguf(join(folder, 'g1.gguf'));
    expect(g1.metadata['general.architecture']).toBe('gemma');
    expect(g1.tensorInfos.some((info) => info.name === 'blk.0.ffn_norm.weight')).toBe(true);
    expect(await readdir(folder)).toEqual(['b.gguf', 'g1.gguf', 'h.gguf']); // no temporary files left
    const source = await openExportSource(fixture('keras_gemma2_tiny'), 'tiny');
    try {
      expect(() => planGemmaGguf({ ...source, config: { ...source.config, queryPreAttentionScalar: 100 } }, 'f32')).toThrow(/llama.cpp would scale queries by 0.35355.*by 0.1\b/);
      expect(() => planGemmaGguf({ ...source, config: { ...source.config, finalLogitSoftCap: null } }, 'f32')).toThrow(/always applies both soft caps/);
      expect(() => planGemmaGguf(source, 'q4_0' as never)).toThrow(/one of f32, f16, bf16, q8_0/);
    } finally {
      source.close();
    }
  });
});
