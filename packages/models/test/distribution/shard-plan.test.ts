// The model-parallel plan at real sizes, without starting workers: where KerasHub's layout map
// puts every variable of the Gemma presets, what each shard builds and holds, and the refusals.
import { describe, expect, test } from 'vitest';
import { DeviceMesh, GemmaBackbone, ModelParallel, resolveGemmaConfig } from '../../src/index.js';
import { checkShardMemory, placeVariable, planShards, shardMemory } from '../../src/parallel/index.js';
import { sliceAlong } from '../../src/parallel/shard-plan.js';

const distribution = (shards: number) => {
  const mesh = new DeviceMesh([1, shards], ['batch', 'model'], Array.from({ length: shards }, (_, index) => `wasm:${index}`));
  return new ModelParallel({ layoutMap: GemmaBackbone.getLayoutMap(mesh), batchDimName: 'batch' });
};

const presetConfig = (name: string, dtype: 'float32' | 'bfloat16') =>
  resolveGemmaConfig({ ...(GemmaBackbone.presets[name]!.config as never), dtype });

function plan(name: string, shards: number, dtype: 'float32' | 'bfloat16' = 'bfloat16') {
  const config = presetConfig(name, dtype);
  const model = distribution(shards);
  const shardPlan = planShards(config, model);
  const placements = GemmaBackbone.variableSpecs(config).map((spec) => ({ ...placeVariable(shardPlan, model, spec.path, spec.shape), dtype }));
  return { shardPlan, placements, memory: shardMemory(placements, shards) };
}

describe('planShards at real size', () => {
  test('gemma_2b_en over 2 shards: heads, width and vocabulary halved; its single key/value head replicated', () => {
    const { shardPlan, placements, memory } = plan('gemma_2b_en', 2);
    expect(shardPlan.shardConfig).toMatchObject({ numQueryHeads: 4, numKeyValueHeads: 1, intermediateDim: 16384, vocabularySize: 128000, hiddenDim: 2048 });
    expect(shardPlan.keyValueReplicated).toBe(true);
    const key = placements.find((placement) => placement.path === 'decoder_block_0/attention/key/kernel')!;
    expect(key.slices).toEqual([{ start: 0, length: 1 }, { start: 0, length: 1 }]);
    const gate = placements.find((placement) => placement.path === 'decoder_block_0/ffw_gating/kernel')!;
    expect(gate).toMatchObject({ axis: 1, slices: [{ start: 0, length: 8192 }, { start: 8192, length: 8192 }] });
    const embedding = placements.find((placement) => placement.path === 'token_embedding/embeddings')!;
    expect(embedding).toMatchObject({ axis: 0, slices: [{ start: 0, length: 128000 }, { start: 128000, length: 128000 }] });
    // 2.51 B parameters in bfloat16: about 2.5 GB a shard (the replicated key/value heads and norms add a little).
    expect(memory.perShardBytes[0]).toBeGreaterThan(2.5e9);
    expect(memory.perShardBytes[0]).toBeLessThan(2.53e9);
    expect(() => checkShardMemory('gemma_2b_en', shardPlan, memory, 2 ** 32, 64e9)).not.toThrow();
  });

  test('gemma_2b_en in one 4 GiB shard is refused before loading, with the numbers and the shard count needed', () => {
    const { shardPlan, memory } = plan('gemma_2b_en', 1);
    expect(() => checkShardMemory('gemma_2b_en', shardPlan, memory, 2 ** 32, 64e9)).toThrow(
      /gemma_2b_en: each of 1 shard\(s\) would hold up to 4\.6\d GiB of bfloat16 weights, above the 3\.50 GiB a shard can use .*use at least 2 shards/,
    );
  });

  test('gemma_2b_en in float32 over 2 shards is refused, suggesting 4 shards (3 does not divide the heads) or bfloat16', () => {
    const { shardPlan, memory } = plan('gemma_2b_en', 2, 'float32');
    expect(() => checkShardMemory('gemma_2b_en', shardPlan, memory, 2 ** 32, 64e9)).toThrow(
      /each of 2 shard\(s\) would hold up to 4\.\d\d GiB of float32 weights, .*use at least 4 shards, --dtype bfloat16 \(dtype: 'bfloat16'\) or a quantized preset/,
    );
  });

  test('a machine with too little memory is refused with both numbers', () => {
    const { shardPlan, memory } = plan('gemma2_9b_en', 8);
    expect(() => checkShardMemory('gemma2_9b_en', shardPlan, memory, 2 ** 32, 16e9)).toThrow(/the weights need 17\.\d\d GiB as bfloat16 across 8 shard\(s\), more than the 14\.90 GiB this machine has available/);
  });

  test('gemma2_2b_en (4 key/value heads) over 8 shards replicates each key/value head to 2 shards', () => {
    const { shardPlan, placements } = plan('gemma2_2b_en', 8);
    expect(shardPlan.shardConfig).toMatchObject({ numQueryHeads: 1, numKeyValueHeads: 1 });
    const value = placements.find((placement) => placement.path === 'decoder_block_3/attention/value/kernel')!;
    expect(value.slices.map((slice) => slice.start)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  test('meshes that do not divide the model name the variable and the axis', () => {
    expect(() => plan('gemma_7b_en', 5)).toThrow("variable 'decoder_block_0/attention/query/kernel' axis 0 (query heads) has size 16, which the 'model' mesh axis of size 5 does not divide");
    expect(() => plan('gemma2_2b_en', 6)).toThrow("variable 'decoder_block_0/attention/query/kernel' axis 0 (query heads) has size 8, which the 'model' mesh axis of size 6 does not divide");
  });

  test('the query scale of the full model is kept when heads are split (Gemma 2 27B scales by hidden / heads)', () => {
    const { shardPlan } = plan('gemma2_27b_en', 16);
    const full = presetConfig('gemma2_27b_en', 'bfloat16');
    expect(full.queryHeadDimNormalize).toBe(false);
    expect(shardPlan.shardConfig.queryPreAttentionScalar).toBe(Math.floor(full.hiddenDim / full.numQueryHeads));
  });
});

describe('sliceAlong', () => {
  test('copies a block along any axis, keeping the array kind', () => {
    const data = Float32Array.from({ length: 24 }, (_, index) => index); // [2, 3, 4]
    expect([...sliceAlong(data, [2, 3, 4], 1, 1, 2)]).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect([...sliceAlong(data, [2, 3, 4], 2, 3, 1)]).toEqual([3, 7, 11, 15, 19, 23]);
    const bits = Uint16Array.from([1, 2, 3, 4]);
    const copy = sliceAlong(bits, [4], null, 0, 4);
    expect(copy).toBeInstanceOf(Uint16Array);
    expect(copy).not.toBe(bits);
  });
});
