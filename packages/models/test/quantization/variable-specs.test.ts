// GemmaBackbone.variableSpecs for quantized configurations (Keras's quantized variables, names,
// shapes and dtypes, from the configuration alone) against the Keras fixtures' inventories and
// against built models; the weight bytes per preset and mode, and the table docs/quantization.md
// shows, computed from the preset registry.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { GemmaBackbone, gemmaPresetWeightMemory, gemmaWeightBytes, quantizedLayersFor, variableBytes, type GemmaBackboneConfig } from '@tensorzoo/models';
import { fixture } from '../io/helpers.js';
import { quantFixtures, quantReference } from './helpers.js';

const inventory = (backbone: GemmaBackbone) => backbone.weights.map((variable) => ({ path: variable.path, shape: [...variable.shape], dtype: variable.dtype as string }));

test("a quantized preset's variableSpecs are Keras's saved inventory (paths, shapes, dtypes)", async () => {
  for (const { name, floatPreset, mode } of quantFixtures) {
    const reference = quantReference(name).weights;
    expect(GemmaBackbone.variableSpecs(await GemmaBackbone.presetConfig(fixture(name))), name).toEqual(reference);
    // The float preset's configuration with quantize's layers: the same list.
    const floatConfig = await GemmaBackbone.presetConfig(fixture(floatPreset));
    expect(GemmaBackbone.variableSpecs({ ...floatConfig, quantizedLayers: quantizedLayersFor(mode, floatConfig.numLayers) }), `${floatPreset} → ${mode}`).toEqual(reference);
    // And the bytes: int8 one per element, float32 four.
    const bytes = reference.reduce((total, spec) => total + spec.shape.reduce((size, dim) => size * dim, 1) * (spec.dtype === 'int8' ? 1 : 4), 0);
    expect(gemmaWeightBytes(floatConfig, mode), name).toBe(bytes);
  }
});

test('variableSpecs equal the variables of built models (float, int8, int4 with several groups, per-channel int4)', () => {
  // Sizes that 128 does not divide, Gemma 1 and Gemma 2 blocks.
  const small: GemmaBackboneConfig = { vocabularySize: 301, numLayers: 2, numQueryHeads: 2, numKeyValueHeads: 1, hiddenDim: 288, intermediateDim: 400, headDim: 144 };
  const gemma2 = { ...small, usePostAttentionNorm: true, usePostFfwNorm: true, queryHeadDimNormalize: false, queryPreAttentionScalar: 100 };
  for (const base of [small, gemma2])
    for (const dtype of ['float32', 'bfloat16'] as const)
      for (const mode of [null, 'int8', 'int4', 'int4/-1'] as const) {
        const quantizedLayers = mode === null ? null : mode === 'int4/-1' ? Object.fromEntries(Object.keys(quantizedLayersFor('int4', 2)).map((path) => [path, 'int4/-1' as const])) : quantizedLayersFor(mode, 2);
        const config = { ...base, dtype, quantizedLayers };
        const backbone = new GemmaBackbone(config);
        try {
          expect(GemmaBackbone.variableSpecs(config), `${mode} ${dtype}`).toEqual(inventory(backbone));
        } finally {
          backbone.dispose();
        }
      }
});

test('weight bytes: float32 = 4 per parameter, bfloat16 = 2, int8 and int4 below them', () => {
  const rows = gemmaPresetWeightMemory();
  expect(rows.flatMap((row) => row.presets)).toHaveLength(Object.keys(GemmaBackbone.presets).length);
  for (const row of rows) {
    expect(row.bytes.float32).toBe(4 * row.parameters);
    expect(row.bytes.bfloat16).toBe(2 * row.parameters);
    expect(row.bytes.int8).toBeLessThan(0.51 * row.bytes.bfloat16);
    expect(row.bytes.int4).toBeLessThan(0.6 * row.bytes.int8);
    // The registry's own parameter counts (KerasHub's table) agree with the architectures.
    for (const name of row.presets) expect(GemmaBackbone.presets[name]!.params, name).toBe(row.parameters);
  }
  const gemma2b = rows.find((row) => row.presets.includes('gemma_2b_en'))!;
  expect(variableBytes([{ path: 'x', shape: [2, 3], dtype: 'int8' }])).toBe(6);
  expect(gemma2b.bytes.bfloat16).toBeGreaterThan(4 * 2 ** 30); // past one WebAssembly memory
  expect(gemma2b.bytes.int8).toBeLessThan(4 * 2 ** 30);
});

/** The table docs/quantization.md shows (GiB with two decimals), rendered from the registry. */
function renderTable(): string {
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2);
  const lines = ['| presets | parameters | float32 | bfloat16 | int8 | int4 |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const row of gemmaPresetWeightMemory())
    lines.push(`| ${row.presets.map((name) => `\`${name}\``).join(', ')} | ${(row.parameters / 1e9).toFixed(2)} B | ${gib(row.bytes.float32)} GiB | ${gib(row.bytes.bfloat16)} GiB | ${gib(row.bytes.int8)} GiB | ${gib(row.bytes.int4)} GiB |`);
  return lines.join('\n');
}

test('docs/quantization.md shows the weight memory table computed from the preset registry', () => {
  const page = readFileSync(new URL('../../../../docs/quantization.md', import.meta.url), 'utf8');
  const table = renderTable();
  if (!page.includes(table)) console.log(`expected table:\n${table}`);
  expect(page).toContain(table);
});
