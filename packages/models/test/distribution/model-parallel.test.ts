// ModelParallel executed: every fixture loaded into 2 and 4 wasm shard workers (each its own
// WebAssembly memory) as GemmaBackbone.getLayoutMap places the variables, against the same preset
// in one memory (this process's backend). The shards run the compiled dist/ of core, layers and
// models (worker threads cannot run TypeScript): build models before this file.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { DeviceMesh, GemmaBackbone, GemmaCausalLM, ModelParallel } from '@tensorzoo/models';
import { ParallelGemmaBackbone } from '../../src/parallel/index.js';
import { weightStreamLimits } from '../../src/parallel/weight-stream.js';
import { fixturesDirectory, maxDifference } from '../backends.js';

const modelParallel = (shards: number) => {
  const mesh = new DeviceMesh([1, shards], ['batch', 'model'], Array.from({ length: shards }, (_, index) => `wasm:${index}`));
  return new ModelParallel({ layoutMap: GemmaBackbone.getLayoutMap(mesh), batchDimName: 'batch' });
};

// Two rows, the second padded: ids below 2048 (every fixture's vocabulary).
const inputs = {
  tokenIds: [
    [2, 276, 265, 1633, 1024, 1209, 1233, 1459, 61, 995],
    [2, 1123, 147, 1112, 268, 1545, 1942, 0, 0, 0],
  ],
  paddingMask: [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
  ],
};

const floatFixtures: { name: string; shards: number[] }[] = [
  { name: 'keras_gemma_tiny', shards: [2, 4] },
  { name: 'keras_gemma2_tiny', shards: [2, 4] },
  { name: 'keras_gemma2_tiny_bf16_sharded', shards: [2, 4] },
  { name: 'hf_gemma_native', shards: [2, 4] },
  { name: 'hf_gemma2_native', shards: [2, 4] },
  // Two query heads: 4 shards cannot split them (tested below as an error).
  { name: 'hf_gemma_native_bf16_sharded', shards: [2] },
  // int8 (Keras's quantize('int8')): activations of the split contractions are quantized with the
  // abs-max of the whole contraction (a max all-reduce), so the shards compute one memory's numbers.
  { name: 'keras_gemma_quant_int8', shards: [2, 4] },
  { name: 'keras_gemma2_quant_int8', shards: [2, 4] },
];

for (const { name, shards: shardCounts } of floatFixtures) {
  describe(`ModelParallel on ${name}`, () => {
    let single: GemmaBackbone;
    let hidden: Float32Array;
    let logits: Float32Array;
    beforeAll(async () => {
      single = await GemmaBackbone.fromPreset(join(fixturesDirectory, name));
      const output = single.call(inputs);
      hidden = output.dataSync() as Float32Array;
      const logitTensor = single.logits(output);
      logits = logitTensor.dataSync() as Float32Array;
      tz.dispose([output, logitTensor]);
    });
    afterAll(() => single?.dispose());

    for (const shards of shardCounts)
      test(`${shards} shards give the single-memory hidden states and logits within 1e-5`, async () => {
        const parallel = (await GemmaBackbone.fromPreset(join(fixturesDirectory, name), { distribution: modelParallel(shards) })) as unknown as ParallelGemmaBackbone;
        try {
          expect(parallel).toBeInstanceOf(ParallelGemmaBackbone);
          expect(parallel.shards).toBe(shards);
          const output = parallel.call(inputs);
          const logitTensor = parallel.logits(output);
          expect(maxDifference(output.dataSync(), hidden)).toBeLessThan(1e-5);
          expect(maxDifference(logitTensor.dataSync(), logits)).toBeLessThan(1e-5);
          tz.dispose([output, logitTensor]);
          // Each shard holds 1/S of every split variable (plus the replicated norms).
          const total = parallel.shardWeightBytes.reduce((sum, bytes) => sum + bytes, 0);
          expect(parallel.shardWeightBytes.every((bytes) => bytes < total / shards + 64 * 1024)).toBe(true);
        } finally {
          parallel.dispose();
        }
      });
  });
}

for (const name of ['keras_gemma_tiny', 'keras_gemma2_tiny', 'keras_gemma2_quant_int8']) {
  describe(`ModelParallel GemmaCausalLM.generate on ${name}`, () => {
    const expected = JSON.parse(readFileSync(join(fixturesDirectory, `${name}.reference.json`), 'utf8')).generate as { prompts: string[]; max_length: number; outputs: string[] };
    for (const shards of [2, 4])
      test(`${shards} shards: batched greedy texts equal KerasHub's (the cache split by heads)`, async () => {
        const model = await GemmaCausalLM.fromPreset(join(fixturesDirectory, name), { distribution: modelParallel(shards) });
        try {
          expect(model.generate(expected.prompts, { maxLength: expected.max_length })).toEqual(expected.outputs);
          expect(model.generate(expected.prompts[0]!, { maxLength: expected.max_length })).toBe(expected.outputs[0]);
        } finally {
          model.backbone.dispose();
        }
      });
  });
}

describe("ModelParallel with dtype: 'bfloat16' (weights in 2 bytes, layer outputs rounded to bfloat16)", () => {
  test('2 and 4 shards round each split product once, after the all-reduce, as one memory does', async () => {
    const folder = join(fixturesDirectory, 'keras_gemma2_tiny_bf16_sharded');
    const single = await GemmaBackbone.fromPreset(folder, { dtype: 'bfloat16' });
    const expected = single.call(inputs);
    const expectedValues = expected.dataSync();
    try {
      for (const shards of [2, 4]) {
        const parallel = (await GemmaBackbone.fromPreset(folder, { distribution: modelParallel(shards), dtype: 'bfloat16' })) as unknown as ParallelGemmaBackbone;
        try {
          const output = parallel.call(inputs);
          // Within one bfloat16 step (2^-8 relative): the shards' float32 sums may round to the other neighbour.
          const values = output.dataSync();
          let worst = 0;
          for (let index = 0; index < values.length; index++) worst = Math.max(worst, Math.abs(values[index]! - expectedValues[index]!) / Math.max(1, Math.abs(expectedValues[index]!)));
          expect(worst).toBeLessThanOrEqual(2 ** -8);
          output.dispose();
        } finally {
          parallel.dispose();
        }
      }
    } finally {
      expected.dispose();
      single.dispose();
    }
  });
});

describe('ModelParallel with LoRA (keras_gemma_tiny.lora.h5, rank 4 on query and value)', () => {
  const reference = JSON.parse(readFileSync(join(fixturesDirectory, 'keras_gemma_tiny.lora.reference.json'), 'utf8'));
  const rows = (array: { shape: number[]; data: number[] }) => Array.from({ length: array.shape[0]! }, (_, row) => array.data.slice(row * array.shape[1]!, (row + 1) * array.shape[1]!));
  const loraInputs = { tokenIds: rows(reference.inputs.token_ids), paddingMask: rows(reference.inputs.padding_mask) };
  const unpadded = (index: number) => reference.inputs.padding_mask.data[Math.floor(index / 48)] === 1;

  for (const shards of [2, 4])
    test(`${shards} shards: factor A split by heads (the single key/value head replicated) gives KerasHub's output and one memory's`, async () => {
      const folder = join(fixturesDirectory, 'keras_gemma_tiny');
      const single = await GemmaBackbone.fromPreset(folder);
      await single.loadLoraWeights(join(fixturesDirectory, 'keras_gemma_tiny.lora.h5'));
      const singleOutput = single.call(loraInputs);
      const parallel = (await GemmaBackbone.fromPreset(folder, { distribution: modelParallel(shards) })) as unknown as ParallelGemmaBackbone;
      try {
        await parallel.loadLoraWeights(join(fixturesDirectory, 'keras_gemma_tiny.lora.h5'));
        expect(parallel.loraRank).toBe(4);
        const output = parallel.call(loraInputs);
        expect(maxDifference(output.dataSync(), singleOutput.dataSync())).toBeLessThan(1e-5);
        expect(maxDifference(output.dataSync(), reference.sequence_output_with_lora.data, unpadded)).toBeLessThan(1e-4);
        tz.dispose([output, singleOutput]);
      } finally {
        parallel.dispose();
        single.dispose();
      }
    });
});

describe('ModelParallel streaming load reads large datasets in small slabs', () => {
  // Real presets have datasets above the 32 MiB slab; here the slab is 1 KiB, so every kernel of
  // the sharded bfloat16 preset and of the int8 preset goes through the slab reader.
  for (const name of ['keras_gemma2_tiny_bf16_sharded', 'keras_gemma_quant_int8'])
    test(`${name}: the same numbers as one memory`, async () => {
      const folder = join(fixturesDirectory, name);
      const saved = weightStreamLimits.slabBytes;
      weightStreamLimits.slabBytes = 1024;
      const single = await GemmaBackbone.fromPreset(folder);
      try {
        const parallel = (await GemmaBackbone.fromPreset(folder, { distribution: modelParallel(2) })) as unknown as ParallelGemmaBackbone;
        try {
          const [a, b] = [single.call(inputs), parallel.call(inputs)];
          expect(maxDifference(b.dataSync(), a.dataSync())).toBeLessThan(1e-5);
          tz.dispose([a, b]);
        } finally {
          parallel.dispose();
        }
      } finally {
        weightStreamLimits.slabBytes = saved;
        single.dispose();
      }
    });
});

describe('ModelParallel refusals', () => {
  test('a mesh that does not divide the heads names the variable and the axis', async () => {
    await expect(GemmaBackbone.fromPreset(join(fixturesDirectory, 'hf_gemma_native_bf16_sharded'), { distribution: modelParallel(4) })).rejects.toThrow(
      "variable 'decoder_block_0/attention/query/kernel' axis 0 (query heads) has size 2, which the 'model' mesh axis of size 4 does not divide",
    );
  });

  test('a mesh that does not divide the intermediate dimension names it', async () => {
    // keras_gemma_tiny: F = 48, N = 4: 3 shards divide neither.
    await expect(GemmaBackbone.fromPreset(join(fixturesDirectory, 'keras_gemma_tiny'), { distribution: modelParallel(3) })).rejects.toThrow(/variable '.*' axis \d \((vocabulary|query heads|intermediate dimension)\) has size \d+, which the 'model' mesh axis of size 3 does not divide/);
  });

  test('a data-parallel axis larger than 1 is refused with the mesh', async () => {
    const mesh = new DeviceMesh([2, 2], ['batch', 'model'], ['wasm:0', 'wasm:1', 'wasm:2', 'wasm:3']);
    const distribution = new ModelParallel({ layoutMap: GemmaBackbone.getLayoutMap(mesh), batchDimName: 'batch' });
    await expect(GemmaBackbone.fromPreset(join(fixturesDirectory, 'keras_gemma_tiny'), { distribution })).rejects.toThrow("the 'batch' (data-parallel) axis of DeviceMesh(batch=2, model=2; 4 devices) has size 2");
  });

  test('a layout map that splits another axis is refused, naming the variable and both axes', async () => {
    const mesh = new DeviceMesh([1, 2], ['batch', 'model'], ['wasm:0', 'wasm:1']);
    const layoutMap = GemmaBackbone.getLayoutMap(mesh);
    layoutMap.delete('decoder_block.*ffw_linear.kernel');
    layoutMap.set('decoder_block.*ffw_linear.kernel', ['batch', 'model']);
    const distribution = new ModelParallel({ layoutMap, batchDimName: 'batch' });
    await expect(GemmaBackbone.fromPreset(join(fixturesDirectory, 'keras_gemma_tiny'), { distribution })).rejects.toThrow(
      `variable 'decoder_block_0/ffw_linear/kernel' [48, 48] has layout ["batch","model"], which splits axis 1 over 'model'; the executor splits it on axis 0 (intermediate dimension)`,
    );
  });

  test('int4 presets run in one shard worker (the single-memory numbers) and are refused with more, naming the layer', async () => {
    const folder = join(fixturesDirectory, 'keras_gemma2_quant_int4');
    const single = await GemmaBackbone.fromPreset(folder);
    const parallel = (await GemmaBackbone.fromPreset(folder, { distribution: modelParallel(1) })) as unknown as ParallelGemmaBackbone;
    try {
      const [a, b] = [single.call(inputs), parallel.call(inputs)];
      expect(maxDifference(b.dataSync(), a.dataSync())).toBeLessThan(1e-5);
      tz.dispose([a, b]);
    } finally {
      parallel.dispose();
      single.dispose();
    }
    await expect(GemmaBackbone.fromPreset(join(fixturesDirectory, 'keras_gemma2_quant_int4'), { distribution: modelParallel(2) })).rejects.toThrow("layer 'token_embedding' is quantized int4/128");
  });

  test('a shard memory too small for the weights is refused before loading, with the numbers', async () => {
    await expect(
      ParallelGemmaBackbone.load(join(fixturesDirectory, 'keras_gemma_tiny'), { distribution: modelParallel(2), shardMemoryLimitBytes: 100_000 }),
    ).rejects.toThrow(/each of 2 shard\(s\) would hold up to 0\.00 GiB of float32 weights, above the 0\.00 GiB a shard can use .*use more than 2 shards, --dtype bfloat16 \(dtype: 'bfloat16'\) or a quantized preset/);
  });
});

describe('ModelParallel failures end the call, not the process', () => {
  test('a shard that dies names itself; the model refuses further calls; a new model works', async () => {
    const folder = join(fixturesDirectory, 'keras_gemma_tiny');
    const parallel = (await GemmaBackbone.fromPreset(folder, { distribution: modelParallel(2) })) as unknown as ParallelGemmaBackbone;
    parallel.simulateCrash(1);
    expect(() => parallel.call(inputs)).toThrow(/model-parallel shard 1 of 2 exited unexpectedly \(exit code 70\)/);
    expect(() => parallel.call(inputs)).toThrow(/unusable after an earlier failure \(model-parallel shard 1 of 2/);
    parallel.dispose();
    const again = (await GemmaBackbone.fromPreset(folder, { distribution: modelParallel(2) })) as unknown as ParallelGemmaBackbone;
    try {
      const output = again.call(inputs);
      expect(output.shape).toEqual([2, 10, 48]);
      output.dispose();
    } finally {
      again.dispose();
    }
  });

  test('a shard out of WebAssembly memory names the shard and the bytes it asked for', async () => {
    const folder = join(fixturesDirectory, 'keras_gemma_tiny');
    // 266 kB of weights per shard fit in 400 kB; a 600-token prompt's attention does not.
    const parallel = await ParallelGemmaBackbone.load(folder, { distribution: modelParallel(2), shardMemoryLimitBytes: 400_000 });
    try {
      const long = [Array.from({ length: 600 }, (_, index) => 2 + (index % 1000))];
      expect(() => parallel.call({ tokenIds: long })).toThrow(/model-parallel shard [01] of 2 ran out of memory: wasm backend: allocating [\d.]+ (MiB|bytes) for .* would pass the 390\.6 KiB|model-parallel shard [01] of 2 ran out of memory: wasm backend: allocating/);
    } finally {
      parallel.dispose();
    }
  });
});
