// Bad input to a Gemma model is one clear error, found before anything is allocated for it
// (issue 19): token ids that an int32 conversion would coerce (2^32 + 5 → 5, 10.7 → 10, "abc" and
// null → 0), padding masks other than 0/1, sequences past the context length or the memory
// budget (10^4 and 10^6 tokens, never a [T, T] tensor), generation lengths padded to before the
// cap, and config.json sizes (num_layers 1e9, 1e300, 1e5, or a count the weights do not hold).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { GemmaBackbone, GemmaCausalLM, GemmaCausalLMPreprocessor } from '@tensorzoo/models';
import { fixturesDirectory } from '../backends.js';

const tiny = { vocabularySize: 16, numLayers: 1, numQueryHeads: 2, numKeyValueHeads: 1, hiddenDim: 8, intermediateDim: 16, headDim: 4 };
const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-hardening-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `body`, expecting a TensorzooError matching `pattern`, and no tensor left behind. */
function expectRefused(body: () => unknown, pattern: RegExp): void {
  const before = tz.memory().numTensors;
  let error: unknown;
  try {
    body();
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected an error matching ${pattern}`).toBeInstanceOf(tz.TensorzooError);
  expect((error as Error).message).toMatch(pattern);
  expect(tz.memory().numTensors, 'live tensors after the refusal').toBe(before);
}

describe('token ids and padding masks', () => {
  const backbone = new GemmaBackbone(tiny);
  afterAll(() => backbone.dispose());

  test.each([
    [2 ** 32 + 5, '4294967301'],
    [10.7, '10.7'],
    ['abc', '"abc"'],
    [null, 'null'],
    [-1, '-1'],
    [16, '16'],
  ])('token id %s is refused, not coerced', (id, shown) => {
    expectRefused(() => backbone.call({ tokenIds: [[1, id as number, 2]] }), new RegExp(`tokenIds' expected integer ids in \\[0, 15\\].*received ${shown.replace(/[.*"]/g, '\\$&')} at \\[0, 1\\]`));
  });

  test('rows of different lengths are refused', () => {
    expectRefused(() => backbone.call({ tokenIds: [[1, 2], [3]] }), /rows of equal length \(2\).*row 1: 1 ids/);
  });

  test.each([[2], [-1], [0.5]])('padding mask value %s is refused (nested array and int32/float tensor)', (value) => {
    expectRefused(() => backbone.call({ tokenIds: [[1, 2, 3]], paddingMask: [[1, value, 1]] }), new RegExp(`paddingMask' expected 0/1 \\(or false/true\\) values, received ${value} at \\[0, 1\\]`));
    const dtype = Number.isInteger(value) ? 'int32' : 'float32';
    const mask = tz.tensor([[1, value, 1]], undefined, dtype);
    expectRefused(() => backbone.call({ tokenIds: [[1, 2, 3]], paddingMask: mask }), /paddingMask' expected 0\/1/);
    mask.dispose();
  });

  test('0/1 numbers, booleans and bool tensors are accepted', () => {
    for (const paddingMask of [[[1, 1, 0]], [[true, true, false]]]) backbone.call({ tokenIds: [[1, 2, 3]], paddingMask }).dispose();
    const mask = tz.tensor([[1, 1, 0]], undefined, 'bool');
    backbone.call({ tokenIds: [[1, 2, 3]], paddingMask: mask }).dispose();
    mask.dispose();
  });
});

describe('sequence length: context and memory, refused before any [T, T] tensor', () => {
  const backbone = new GemmaBackbone(tiny);
  afterAll(() => backbone.dispose());

  test.each([[1e4], [1e6]])('%s tokens as a nested array or an int32 tensor give the context length', (length) => {
    const rows = [new Array<number>(length).fill(1)];
    expectRefused(() => backbone.call({ tokenIds: rows }), new RegExp(`tokenIds expected at most 8192 tokens \\(the model's context length\\), received ${length}`));
    const ids = tz.zeros([1, length], 'int32');
    expectRefused(() => backbone.call({ tokenIds: ids }), /at most 8192 tokens/);
    ids.dispose();
  });

  test('a batch whose attention would not fit the memory budget gives the memory needed', () => {
    const ids = tz.zeros([64, 8000], 'int32');
    // 64 · 8000² · (3 · 2 heads · 4 + 2 · 4) bytes = 122 GiB.
    expectRefused(() => backbone.call({ tokenIds: ids }), /tokenIds of 8000 tokens \(batch 64\) needs about 122\.1 GiB \(attention \[64, 2, 8000, 8000\] 122\.1 GiB\), more than the .* GiB allowed/);
    ids.dispose();
  });

  test('emptyCache refuses a cache past the context (and non-integer sizes)', () => {
    expectRefused(() => backbone.emptyCache(1, 100_000), /maxLength expected at most 8192 tokens .* received 100000/);
    expectRefused(() => backbone.emptyCache(1, 1e9), /received 1000000000/);
    expectRefused(() => backbone.emptyCache(1, 2.5), /maxLength' expected a positive integer, received 2.5/);
  });
});

describe('generate: maxLength capped before the prompt is padded to it', () => {
  let model: GemmaCausalLM;

  test.each([[100_000], [1_000_000_000]])('maxLength %s on the demo model is refused with the context length', async (maxLength) => {
    model ??= await GemmaCausalLM.fromPreset();
    // Padding a prompt to 10^9 positions would take gigabytes and tens of seconds; the cap comes first.
    const padded = vitestSpyOnPack(model);
    expectRefused(() => model.generate('import numpy', { maxLength }), new RegExp(`generate: maxLength expected at most 8192 tokens \\(the model's context length\\), received ${maxLength}`));
    expect(padded(), 'the preprocessor packed nothing').toBe(0);
  });

  test('packed prompts: a padding mask other than 0/1 is refused', async () => {
    model ??= await GemmaCausalLM.fromPreset();
    expectRefused(() => model.generate({ tokenIds: [[2, 5, 0]], paddingMask: [[1, 2, 0]] }, { stopTokenIds: null }), /paddingMask' expected 0\/1.*received 2 at \[0, 1\]/);
  });

  test('the preprocessor refuses a sequence length past the context (training pads every row to it)', async () => {
    model ??= await GemmaCausalLM.fromPreset();
    const tokenizer = model.preprocessor!.tokenizer;
    expect(() => new GemmaCausalLMPreprocessor(tokenizer, { sequenceLength: 1e9 })).toThrow(/sequenceLength' expected a positive integer, at most 8192 \(Gemma's context length\), received 1000000000/);
    expect(() => model.preprocessor!.call('import numpy', 100_000)).toThrow(/sequenceLength' expected an integer of at most 8192 .*received 100001/);
  });

  afterAll(() => model?.backbone.dispose());
});

/** Counts calls of the model's preprocessor `pack` (which pads to maxLength). */
function vitestSpyOnPack(model: GemmaCausalLM): () => number {
  const preprocessor = model.preprocessor!;
  const original = preprocessor.pack.bind(preprocessor);
  let calls = 0;
  preprocessor.pack = (...args: Parameters<typeof original>) => {
    calls++;
    return original(...args);
  };
  return () => calls;
}

describe('config.json sizes are checked before any layer is built', () => {
  function presetWith(fixture: string, edit: (config: Record<string, any>) => void): string {
    const folder = mkdtempSync(join(scratch, `${fixture}-`));
    cpSync(join(fixturesDirectory, fixture), folder, { recursive: true });
    const file = join(folder, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    edit(config);
    writeFileSync(file, JSON.stringify(config));
    return folder;
  }

  test.each([[1e9], [1e300], [1e5]])('KerasHub num_layers %s: a bound error naming the file and the key', async (numLayers) => {
    const folder = presetWith('keras_gemma_tiny', (config) => (config.config.num_layers = numLayers));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(new RegExp(`${join(folder, 'config.json').replace(/[.]/g, '\\.')}: num_layers expected at most 1024 .*received ${String(numLayers).replace(/[+.]/g, '\\$&')}`));
  });

  test('KerasHub num_layers within bounds but not what the weights hold (more or fewer): an error with both counts', async () => {
    for (const numLayers of [3, 1]) {
      const folder = presetWith('keras_gemma_tiny', (config) => (config.config.num_layers = numLayers));
      await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(new RegExp(`config\\.json: num_layers expected 2 decoder blocks \\(the number .*model\\.weights\\.h5 holds\\), received ${numLayers}`));
    }
  });

  test('Hugging Face num_hidden_layers 1e9 and 3: bound and weights errors', async () => {
    const huge = presetWith('hf_gemma_native', (config) => (config.num_hidden_layers = 1e9));
    await expect(GemmaBackbone.fromPreset(huge)).rejects.toThrow(/config\.json: num_hidden_layers expected at most 1024/);
    const three = presetWith('hf_gemma_native', (config) => (config.num_hidden_layers = 3));
    await expect(GemmaBackbone.fromPreset(three)).rejects.toThrow(/config\.json: num_hidden_layers expected 2 decoder blocks \(the number .*model\.safetensors holds\), received 3/);
  });

  test('sizes within bounds whose weights exceed the machine memory: refused with the numbers', async () => {
    const folder = presetWith('keras_gemma_tiny', (config) => Object.assign(config.config, { num_layers: 1000, hidden_dim: 65536, intermediate_dim: 1 << 20, num_query_heads: 64, head_dim: 1024 }));
    await expect(GemmaBackbone.fromPreset(folder)).rejects.toThrow(/config\.json: the configuration \(1000 layers, hidden 65536, vocabulary 2048\) has 1\.1\d\de\+14 parameters, at least .* GiB of weights, more than this machine's/);
  });

  test('the constructor refuses sizes past the bounds, and counting parameters allocates nothing', () => {
    expect(() => new GemmaBackbone({ ...tiny, numLayers: 1e9 })).toThrow(/numLayers expected at most 1024 .*received 1000000000/);
    expect(GemmaBackbone.variableSpecs({ ...tiny, numLayers: 1000 }).length).toBe(1000 * 9 + 2);
  });

  test('the unedited fixture still loads', async () => {
    const backbone = await GemmaBackbone.fromPreset(presetWith('keras_gemma_tiny', () => {}));
    expect(backbone.transformerLayers.length).toBe(2);
    backbone.dispose();
  });
});
