// The built-in preset registry: KerasHub's metadata and the derived architectures (spec §7).
import { describe, expect, it } from 'vitest';
import {
  gemmaParameterCount,
  gemmaPresetNames,
  gemmaPresets,
  getGemmaPreset,
  isGemmaPresetName,
} from '../../src/presets/index.js';

describe('gemmaPresets', () => {
  it("lists KerasHub's 23 presets in its order", () => {
    expect(gemmaPresetNames).toEqual([
      'gemma_2b_en', 'gemma_instruct_2b_en', 'gemma_1.1_instruct_2b_en', 'code_gemma_1.1_2b_en',
      'code_gemma_2b_en', 'gemma_7b_en', 'gemma_instruct_7b_en', 'gemma_1.1_instruct_7b_en',
      'code_gemma_7b_en', 'code_gemma_instruct_7b_en', 'code_gemma_1.1_instruct_7b_en', 'gemma2_2b_en',
      'gemma2_instruct_2b_en', 'gemma2_9b_en', 'gemma2_instruct_9b_en', 'gemma2_27b_en',
      'gemma2_instruct_27b_en', 'shieldgemma_2b_en', 'shieldgemma_9b_en', 'shieldgemma_27b_en',
      'vault_gemma_1b_en', 'c2s_scale_gemma_2_2b_en', 'c2s_scale_gemma_2_27b_en',
    ]);
    expect(Object.keys(gemmaPresets)).toEqual(gemmaPresetNames);
  });

  it('carries the metadata of spec §7.1', () => {
    const preset = gemmaPresets['gemma_2b_en']!;
    expect(preset).toMatchObject({
      name: 'gemma_2b_en',
      description: '2 billion parameter, 18-layer, base Gemma model.',
      params: 2506172416,
      path: 'gemma',
      kaggleHandle: 'kaggle://keras/gemma/keras/gemma_2b_en/3',
    });
    expect(gemmaPresets['shieldgemma_27b_en']!.kaggleHandle).toBe('kaggle://google/shieldgemma/keras/shieldgemma_27b_en/2');
    expect(gemmaPresets['code_gemma_1.1_instruct_7b_en']!.description).toBe(
      '7 billion parameter, 28-layer, instruction tuned CodeGemma model. This model has been trained ' +
        'for chat use cases related to code. The 1.1 update improves model quality.',
    );
    for (const entry of Object.values(gemmaPresets)) {
      expect(entry.path).toBe('gemma');
      expect(entry.kaggleHandle).toMatch(new RegExp(`^kaggle://[a-z]+/[a-z0-9]+/keras/${entry.name.replace(/\./g, '\\.')}/\\d+$`));
      expect(entry.description.length).toBeGreaterThan(20);
    }
  });

  it("reproduces every preset's listed parameter count exactly from its configuration", () => {
    const expected: Record<string, number> = {
      gemma_2b_en: 2506172416, gemma_7b_en: 8537680896, gemma2_2b_en: 2614341888,
      gemma2_9b_en: 9241705984, gemma2_27b_en: 27227128320, vault_gemma_1b_en: 1038741120,
    };
    for (const preset of Object.values(gemmaPresets)) {
      expect({ name: preset.name, count: gemmaParameterCount(preset.config) }).toEqual({ name: preset.name, count: preset.params });
      const family = Object.keys(expected).find((name) => expected[name] === preset.params);
      expect(family, preset.name).toBeDefined();
    }
  });

  it('pins the architectures of spec §7.2', () => {
    expect(gemmaPresets['gemma_7b_en']!.config).toMatchObject({ numLayers: 28, numQueryHeads: 16, numKeyValueHeads: 16, hiddenDim: 3072, intermediateDim: 49152, headDim: 256 });
    const gemma2 = gemmaPresets['gemma2_27b_en']!.config;
    expect(gemma2).toMatchObject({
      numLayers: 46, numQueryHeads: 32, numKeyValueHeads: 16, hiddenDim: 4608, intermediateDim: 73728, headDim: 128,
      queryHeadDimNormalize: false, usePostFfwNorm: true, usePostAttentionNorm: true,
      attentionLogitSoftCap: 50, finalLogitSoftCap: 30, useSlidingWindowAttention: true, slidingWindowSize: 4096,
    });
    expect(gemmaPresets['gemma_2b_en']!.config).toMatchObject({
      vocabularySize: 256000, numKeyValueHeads: 1, attentionLogitSoftCap: null, finalLogitSoftCap: null,
      useSlidingWindowAttention: false, layerNormEpsilon: 1e-6, dropout: 0, dtype: 'bfloat16',
    });
    expect(Object.keys(gemmaPresets['gemma_2b_en']!.config).sort()).toEqual([
      'attentionLogitSoftCap', 'dropout', 'dtype', 'finalLogitSoftCap', 'headDim', 'hiddenDim', 'intermediateDim',
      'layerNormEpsilon', 'numKeyValueHeads', 'numLayers', 'numQueryHeads', 'queryHeadDimNormalize', 'slidingWindowSize',
      'usePostAttentionNorm', 'usePostFfwNorm', 'useSlidingWindowAttention', 'vocabularySize',
    ]);
  });

  it('marks what the repository cannot determine about VaultGemma', () => {
    // Two norms per block is the only reading that gives 1,038,741,120 (spec §7.2 notes).
    const vault = gemmaPresets['vault_gemma_1b_en']!;
    expect(vault.config).toMatchObject({ numLayers: 26, hiddenDim: 1152, numQueryHeads: 4, numKeyValueHeads: 4, headDim: 256, intermediateDim: 13824, usePostFfwNorm: false, usePostAttentionNorm: false });
    expect(gemmaParameterCount({ ...vault.config, usePostFfwNorm: true, usePostAttentionNorm: true })).not.toBe(vault.params);
    expect(vault.unverifiedConfigKeys).toContain('attentionLogitSoftCap');
    for (const preset of Object.values(gemmaPresets))
      if (preset.name !== 'vault_gemma_1b_en') expect(preset.unverifiedConfigKeys).toEqual([]);
  });

  it('is frozen data', () => {
    expect(Object.isFrozen(gemmaPresets)).toBe(true);
    expect(Object.isFrozen(gemmaPresets['gemma_2b_en']!.config)).toBe(true);
  });

  it('looks presets up by name with a clear error', () => {
    expect(getGemmaPreset('gemma2_2b_en').params).toBe(2614341888);
    expect(isGemmaPresetName('gemma2_2b_en')).toBe(true);
    expect(isGemmaPresetName('toString')).toBe(false);
    expect(() => getGemmaPreset('clowntown')).toThrow(/expected one of the built-in Gemma presets \(gemma_2b_en, .*\), received "clowntown"/);
  });
});

describe('gemmaParameterCount', () => {
  it("matches KerasHub's test backbones (spec §8.1)", () => {
    const base = { vocabularySize: 20, numLayers: 2, numQueryHeads: 4, numKeyValueHeads: 1, hiddenDim: 16, intermediateDim: 32, headDim: 4 };
    expect(gemmaParameterCount(base)).toBe(3216);
    expect(gemmaParameterCount({ ...base, numKeyValueHeads: 2, usePostFfwNorm: true, usePostAttentionNorm: true })).toBe(3536);
    expect(gemmaParameterCount({ vocabularySize: 50, numLayers: 2, numQueryHeads: 2, numKeyValueHeads: 2, hiddenDim: 32, intermediateDim: 16, headDim: 16 })).toBe(11488);
    expect(gemmaParameterCount({ vocabularySize: 11, numLayers: 2, numQueryHeads: 4, numKeyValueHeads: 2, hiddenDim: 8, intermediateDim: 16, headDim: 2, usePostFfwNorm: true, usePostAttentionNorm: true })).toBe(928);
  });

  it('matches the keras_gemma_tiny fixture (num_params 127,728 from KerasHub)', () => {
    expect(gemmaParameterCount({ vocabularySize: 2048, numLayers: 2, numQueryHeads: 4, numKeyValueHeads: 1, hiddenDim: 48, intermediateDim: 96, headDim: 16 })).toBe(127728);
  });

  it('rejects bad configurations naming the key', () => {
    expect(() => gemmaParameterCount(null as never)).toThrow(/argument 'config' expected a Gemma backbone configuration object/);
    expect(() => gemmaParameterCount({ vocabularySize: 20, numLayers: 0, numQueryHeads: 4, numKeyValueHeads: 1, hiddenDim: 16, intermediateDim: 32, headDim: 4 })).toThrow(
      /argument 'config.numLayers' expected a positive integer, received 0/,
    );
    expect(() => gemmaParameterCount({ vocabularySize: 20, numLayers: 2, numQueryHeads: 4, numKeyValueHeads: 1, hiddenDim: 16, intermediateDim: 32 } as never)).toThrow(/config.headDim/);
  });
});
