// Quantized Gemma models against Keras 3.16 / KerasHub 0.32 (test/fixtures/*_quant_*): every
// quantized preset loaded as it is (its layers built quantized first, which KerasHub itself cannot
// do), and every float preset quantized here with `quantize(mode)`, give Keras's sequence output
// and logits within 1e-3 on unpadded positions, its greedy ids and its generate texts; quantizing
// reproduces Keras's saved integer tensors exactly and its scales within 1e-6 relative; saving
// writes Keras's layout and reads back bit for bit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaCausalLM, type GemmaBackbone } from '@tensorzoo/models';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { describeBackends, maxDifference } from '../backends.js';
import { fixture, sameBits, sameTensor } from '../io/helpers.js';
import { quantFixtures, quantReference, type QuantReference } from './helpers.js';

const tolerance = 1e-3;
/** Measured max |difference| per fixture, backend and source (printed at the end for the record). */
const measured: string[] = [];

function outputsOf(backbone: GemmaBackbone, reference: QuantReference): { hidden: Float32Array; logits: Float32Array } {
  const outputs = tz.tidy(() => {
    const hidden = backbone.call({
      tokenIds: tz.tensor(Int32Array.from(reference.inputs.token_ids.data), reference.inputs.token_ids.shape, 'int32'),
      paddingMask: tz.tensor(Int32Array.from(reference.inputs.padding_mask.data), reference.inputs.padding_mask.shape, 'int32'),
    });
    return { hidden, logits: backbone.logits(hidden) };
  });
  const values = { hidden: Float32Array.from(outputs.hidden.dataSync() as Float32Array), logits: Float32Array.from(outputs.logits.dataSync() as Float32Array) };
  outputs.hidden.dispose();
  outputs.logits.dispose();
  return values;
}

function expectOutputs(backbone: GemmaBackbone, reference: QuantReference, label: string): void {
  const { hidden, logits } = outputsOf(backbone, reference);
  const mask = reference.inputs.padding_mask.data;
  const unpadded = (width: number) => (index: number) => mask[Math.floor(index / width)] === 1;
  const hiddenDifference = maxDifference(hidden, reference.sequence_output.data, unpadded(reference.sequence_output.shape[2]!));
  const logitsDifference = maxDifference(logits, reference.logits.data, unpadded(reference.logits.shape[2]!));
  measured.push(`${label}: sequence_output ${hiddenDifference.toExponential(2)}, logits ${logitsDifference.toExponential(2)}`);
  expect(hiddenDifference, `${label} sequence_output max |difference|`).toBeLessThan(tolerance);
  expect(logitsDifference, `${label} logits max |difference|`).toBeLessThan(tolerance);
}

/** Greedy decoding by re-running the whole sequence, as the fixture's `greedy` was computed. */
function greedyByRerun(backbone: GemmaBackbone, prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  for (let step = 0; step < steps; step++) {
    const next = tz.tidy(() => {
      const logits = backbone.logits(backbone.call({ tokenIds: tz.tensor([ids], undefined, 'int32') }));
      return tz.argmax(tz.reshape(tz.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1])).dataSync()[0]!;
    });
    ids.push(next as number);
  }
  return ids;
}

const scratch: string[] = [];
afterAll(async () => {
  for (const path of scratch) await rm(path, { recursive: true, force: true });
  if (measured.length) console.log(`quantized fixtures, max |difference| on unpadded positions:\n  ${measured.join('\n  ')}`);
});

for (const { name, floatPreset, mode } of quantFixtures) {
  describeBackends(`quantized ${name}`, (backend) => {
    const reference = quantReference(name);
    let loaded: GemmaCausalLM;
    let quantizedHere: GemmaCausalLM;
    beforeAll(async () => {
      loaded = await GemmaCausalLM.fromPreset(fixture(name));
      quantizedHere = await GemmaCausalLM.fromPreset(fixture(floatPreset));
      quantizedHere.quantize(mode);
    });
    afterAll(() => {
      loaded?.backbone.dispose();
      quantizedHere?.backbone.dispose();
    });

    test('loaded as saved: the weight inventory (paths, shapes, dtypes) is Keras\'s', () => {
      const inventory = (model: GemmaCausalLM) => model.backbone.weights.map((variable) => ({ path: variable.path, shape: [...variable.shape], dtype: variable.dtype }));
      expect(inventory(loaded)).toEqual(reference.weights);
      expect(inventory(quantizedHere)).toEqual(reference.weights);
      expect(loaded.backbone.quantizedLayers).toEqual(quantizedHere.backbone.quantizedLayers);
    });

    test('loaded as saved: sequence output and logits within 1e-3 of Keras', () => {
      const before = tz.memory().numTensors;
      expectOutputs(loaded.backbone, reference, `${name} loaded [${backend}]`);
      expect(tz.memory().numTensors).toBe(before);
    });

    test('quantized here from the float preset: sequence output and logits within 1e-3 of Keras', () => {
      expectOutputs(quantizedHere.backbone, reference, `${floatPreset}.quantize('${mode}') [${backend}]`);
    });

    test("quantizing reproduces Keras's integer tensors exactly and its scales within 1e-6 relative", () => {
      const saved = new Map(loaded.backbone.weights.map((variable) => [variable.path, variable]));
      for (const variable of quantizedHere.backbone.weights) {
        const expected = saved.get(variable.path)!;
        const actual = variable.value.dataSync();
        const wanted = expected.value.dataSync();
        if (variable.dtype === 'int8' || variable.name === 'g_idx') {
          expect(Array.from(actual), variable.path).toEqual(Array.from(wanted));
        } else {
          let worst = 0;
          for (let index = 0; index < wanted.length; index++) worst = Math.max(worst, Math.abs(actual[index]! - wanted[index]!) / Math.max(Math.abs(wanted[index]!), 1e-30));
          expect(worst, `${variable.path} max relative difference`).toBeLessThanOrEqual(1e-6);
        }
      }
    });

    test('greedy ids and KerasHub generate texts are equal (loaded and quantized here)', () => {
      const steps = reference.greedy.output_ids.length - reference.greedy.prompt_ids.length;
      expect(greedyByRerun(loaded.backbone, reference.greedy.prompt_ids, steps)).toEqual(reference.greedy.output_ids);
      for (const model of [loaded, quantizedHere])
        expect(model.generate(reference.generate.prompts, { maxLength: reference.generate.max_length })).toEqual(reference.generate.outputs);
    });

    test('saveToPreset writes Keras\'s datasets bit for bit and the folder reloads to the same model', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'tensorzoo-quant-'));
      scratch.push(folder);
      const out = join(folder, 'preset');
      await loaded.saveToPreset(out);
      const written = await readKerasWeights(out);
      const original = await readKerasWeights(fixture(name));
      try {
        expect(written.paths()).toEqual(original.paths());
        for (const path of original.paths()) expect(sameTensor(written.get(path), original.get(path)), path).toBe(true);
      } finally {
        written.close();
        original.close();
      }
      const reloaded = await GemmaCausalLM.fromPreset(out);
      try {
        expect(reloaded.backbone.getConfig()).toEqual(loaded.backbone.getConfig());
        const originals = loaded.backbone.weights;
        reloaded.backbone.weights.forEach((variable, index) => {
          expect(variable.dtype).toBe(originals[index]!.dtype);
          expect(sameBits(variable.value.rawDataSync() as ArrayBufferView, originals[index]!.value.rawDataSync() as ArrayBufferView), variable.path).toBe(true);
        });
      } finally {
        reloaded.backbone.dispose();
      }
      // The quantized-here model saves the same integer tensors.
      const here = join(folder, 'here');
      await quantizedHere.saveToPreset(here);
      const hereWeights = await readKerasWeights(here);
      const fixtureWeights = await readKerasWeights(fixture(name));
      try {
        for (const path of fixtureWeights.paths()) {
          const expected = fixtureWeights.get(path);
          if (expected.dtype === 'int8') expect(sameTensor(hereWeights.get(path), expected), path).toBe(true);
        }
      } finally {
        hereWeights.close();
        fixtureWeights.close();
      }
    });
  });
}
