// The Gemma variable-path ↔ HDF5-path mapping and the group list, checked against the group
// names and `name` attributes actually present in the KerasHub fixture files.

import { describe, expect, test } from 'vitest';

import {
  gemmaBlockGroup,
  gemmaH5PathFor,
  gemmaKerasGroups,
  gemmaVariablePathFor,
  gemmaVariablePaths,
  gemmaWeightEntries,
} from '../../src/io/gemma-h5-layout.js';
import { fixture, h5Tree, kerasFixtures, layoutOf, referenceWeights } from './helpers.js';

describe.each(kerasFixtures)('$name', ({ name, backboneName, autoNameStart, shards }) => {
  const reference = referenceWeights(name);
  const layout = layoutOf(reference.config);

  test('gemmaVariablePaths lists the reference variables in Keras order', () => {
    expect(gemmaVariablePaths(layout)).toEqual(reference.weights.map((weight) => weight.path));
  });

  test('gemmaH5PathFor and gemmaVariablePathFor are inverse', () => {
    for (const { path } of reference.weights) {
      const h5Path = gemmaH5PathFor(path, layout);
      expect(gemmaVariablePathFor(h5Path, layout)).toBe(path);
      expect(gemmaVariablePathFor(`/${h5Path}`, layout)).toBe(path);
    }
  });

  test('gemmaKerasGroups gives every vars group of the files with its name attribute', async () => {
    // Union over shards; a group re-created in a later shard carries no name there.
    const named = new Map<string, string>();
    for (const shard of shards) {
      for (const node of await h5Tree(fixture(name, shard))) {
        if (node.kind !== 'group' || !(node.path === 'vars' || node.path.endsWith('/vars'))) continue;
        const attribute = node.attributes.find((candidate) => candidate.name === 'name');
        if (attribute) named.set(node.path.replace(/\/?vars$/, ''), attribute.value as string);
      }
    }
    const groups = gemmaKerasGroups(layout, { backboneName, autoNameStart });
    expect(new Map(groups.map((group) => [group.path, group.name]))).toEqual(named);
  });
});

test('block groups use Keras container naming (no suffix for the first)', () => {
  expect(gemmaBlockGroup(0)).toBe('layers/gemma_decoder_block');
  expect(gemmaBlockGroup(1)).toBe('layers/gemma_decoder_block_1');
  expect(gemmaBlockGroup(17)).toBe('layers/gemma_decoder_block_17');
});

test('spec §4.2 names: attribute names inside blocks, class names at the top', () => {
  const layout = { numLayers: 2, usePostAttentionNorm: true, usePostFfwNorm: true };
  expect(gemmaH5PathFor('token_embedding/embeddings', layout)).toBe('layers/reversible_embedding/vars/0');
  expect(gemmaH5PathFor('final_normalization/scale', layout)).toBe('layers/rms_normalization/vars/0');
  expect(gemmaH5PathFor('decoder_block_1/attention/attention_output/kernel', layout)).toBe(
    'layers/gemma_decoder_block_1/attention/output_dense/vars/0',
  );
  expect(gemmaH5PathFor('decoder_block_0/ffw_gating/kernel', layout)).toBe('layers/gemma_decoder_block/gating_ffw/vars/0');
  expect(gemmaH5PathFor('decoder_block_0/ffw_gating_2/kernel', layout)).toBe('layers/gemma_decoder_block/gating_ffw_2/vars/0');
  expect(gemmaH5PathFor('decoder_block_1/post_ffw_norm/scale', layout)).toBe('layers/gemma_decoder_block_1/post_ffw_norm/vars/0');
});

test('dropout > 0 adds the two block dropout groups', () => {
  const paths = gemmaKerasGroups({ numLayers: 1, dropout: 0.1 }).map((group) => group.path);
  expect(paths).toContain('layers/gemma_decoder_block/attention_dropout');
  expect(paths).toContain('layers/gemma_decoder_block/feedforward_dropout');
  expect(gemmaKerasGroups({ numLayers: 1 }).map((group) => group.path)).not.toContain('layers/gemma_decoder_block/attention_dropout');
});

test('unknown, out-of-range and disabled variables are clear errors', () => {
  const gemma1 = { numLayers: 2 };
  expect(() => gemmaH5PathFor('decoder_block_2/pre_ffw_norm/scale', gemma1)).toThrow(/block 2 is out of range for numLayers 2/);
  expect(() => gemmaH5PathFor('decoder_block_0/post_ffw_norm/scale', gemma1)).toThrow(/only with usePostFfwNorm/);
  expect(() => gemmaH5PathFor('decoder_block_0/attention/query/bias', gemma1)).toThrow(/not a GemmaBackbone variable path/);
  expect(() => gemmaH5PathFor('decoder_block_01/pre_ffw_norm/scale', gemma1)).toThrow(/not a GemmaBackbone variable path/);
  expect(() => gemmaVariablePathFor('layers/gemma_decoder_block/post_ffw_norm/vars/0', gemma1)).toThrow(/decoder_block\/post_ffw_norm/);
  expect(() => gemmaVariablePathFor('layers/gemma_decoder_block_2/pre_ffw_norm/vars/0', gemma1)).toThrow(/not a GemmaBackbone weights dataset/);
  expect(() => gemmaVariablePaths({ numLayers: -1 })).toThrow(/numLayers must be a non-negative integer/);
});

test('gemmaWeightEntries orders variables by the saving walk and rejects gaps and extras', () => {
  const layout = { numLayers: 1 };
  const variables = new Map(gemmaVariablePaths(layout).map((path) => [path, path]));
  const entries = gemmaWeightEntries(variables, layout);
  expect(entries.map((entry) => entry.tensor)).toEqual([
    'token_embedding/embeddings',
    'decoder_block_0/attention/key/kernel',
    'decoder_block_0/attention/attention_output/kernel',
    'decoder_block_0/attention/query/kernel',
    'decoder_block_0/attention/value/kernel',
    'decoder_block_0/ffw_linear/kernel',
    'decoder_block_0/ffw_gating/kernel',
    'decoder_block_0/ffw_gating_2/kernel',
    'decoder_block_0/pre_attention_norm/scale',
    'decoder_block_0/pre_ffw_norm/scale',
    'final_normalization/scale',
  ]);
  variables.delete('final_normalization/scale');
  expect(() => gemmaWeightEntries(variables, layout)).toThrow(/final_normalization\/scale.*variable missing/);
  variables.set('final_normalization/scale', 'x').set('decoder_block_0/extra/kernel', 'y');
  expect(() => gemmaWeightEntries(variables, layout)).toThrow(/not variables of this Gemma layout: decoder_block_0\/extra\/kernel/);
});
