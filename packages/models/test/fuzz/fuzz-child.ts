// The fuzz child process (bundled by fuzz-runner.ts, run with `node`): for each family it copies
// the clean fixture to a scratch folder, runs the target on it once (the clean output), then for
// every case writes the mutated file, runs the target and reports the outcome to the parent over
// IPC: "start" before a case (the parent's per-case timer), "done" after it, with the open file
// descriptor count before and after. A crash or hang is seen by the parent, which restarts the
// child at the next case. Nothing here is a vitest test; fuzz.test.ts asserts on the reports.

import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TensorzooError } from '@tensorzoo/core';

import { GemmaBackbone } from '../../src/gemma/gemma-backbone.js';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { readLoraWeights } from '../../src/io/lora-weights.js';
import { readSafetensors } from '../../src/io/safetensors-read.js';
import type { StoredTensor } from '../../src/io/stored-tensor.js';
import { GemmaTokenizer } from '../../src/tokenizer/gemma-tokenizer.js';
import { caseRandom, mutateBytes, mutateJson, type Random } from './mutate.js';
import type { CaseReport, ChildRequest, ChildMessage } from './fuzz-protocol.js';

interface Family {
  /** Fixture folder or file (under test/fixtures) copied to the scratch folder. */
  fixture: string;
  /** The file of the copy that a case rewrites (relative to the copy), chosen per case. */
  target(random: Random): string;
  mutate(bytes: Uint8Array, random: Random, file: string): { bytes: Uint8Array; steps: string[] };
  /** Runs the code under test on the copy; returns a digest of everything it produced. */
  run(folder: string): Promise<string>;
}

/** FNV-1a over the tensors' shapes, dtypes and bytes: equal digests mean equal outputs. */
function digestTensors(entries: [string, StoredTensor][]): string {
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash = Math.imul(hash ^ byte, 0x01000193);
  };
  for (const [key, tensor] of entries) {
    for (const character of `${key}:${tensor.dtype}:${tensor.shape.join(',')}`) mix(character.charCodeAt(0) & 0xff);
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    for (let index = 0; index < bytes.length; index++) mix(bytes[index]!);
  }
  return `${entries.length}:${(hash >>> 0).toString(16)}`;
}

const text = new TextEncoder();
const SAMPLE = 'Hello world, 12 ünïcödé ☃ <start_of_turn>user\n  tabs\tand spaces';

/** Structural JSON mutation when the text parses, else (and sometimes anyway) byte damage. */
function mutateJsonFile(bytes: Uint8Array, random: Random): { bytes: Uint8Array; steps: string[] } {
  if (random.chance(0.8)) {
    const mutated = mutateJson(new TextDecoder().decode(bytes), random);
    return { bytes: text.encode(mutated.text), steps: mutated.steps };
  }
  return mutateBytes(bytes, random, { headerBytes: 0 });
}

/** safetensors: either the JSON header mutated and re-encoded (valid length prefix), or bytes. */
function mutateSafetensors(bytes: Uint8Array, random: Random): { bytes: Uint8Array; steps: string[] } {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (random.chance(0.5)) {
    const header = mutateJson(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)).trimEnd(), random);
    const json = text.encode(header.text);
    const result = new Uint8Array(8 + json.length + (bytes.length - 8 - headerLength));
    new DataView(result.buffer).setBigUint64(0, BigInt(json.length), true);
    result.set(json, 8);
    result.set(bytes.subarray(8 + headerLength), 8 + json.length);
    return { bytes: result, steps: header.steps.map((step) => `header: ${step}`) };
  }
  return mutateBytes(bytes, random, { headerBytes: 8 + headerLength, headerBias: 0.7 });
}

async function readAllSafetensors(location: string): Promise<string> {
  const weights = await readSafetensors(location);
  try {
    const entries: [string, StoredTensor][] = weights.keys().map((key) => [key, weights.get(key)]);
    // The streaming path too, on the first tensor: slabs of 7 rows.
    const first = weights.keys()[0];
    if (first !== undefined) weights.stream(first).produce(7, () => undefined);
    return digestTensors(entries);
  } finally {
    weights.close();
  }
}

async function readAllKeras(location: string): Promise<string> {
  const weights = await readKerasWeights(location);
  try {
    return digestTensors(weights.paths().map((path) => [path, weights.get(path)]));
  } finally {
    weights.close();
  }
}

export const families: Record<string, Family> = {
  safetensors: {
    fixture: 'hf_gemma_native',
    target: () => 'model.safetensors',
    mutate: mutateSafetensors,
    run: (folder) => readAllSafetensors(join(folder, 'model.safetensors')),
  },
  'safetensors-index': {
    fixture: 'hf_gemma_native_bf16_sharded',
    target: (random) => (random.chance(0.7) ? 'model.safetensors.index.json' : 'model-00002-of-00002.safetensors'),
    mutate: (bytes, random, file) => (file.endsWith('.json') ? mutateJsonFile(bytes, random) : mutateSafetensors(bytes, random)),
    run: (folder) => readAllSafetensors(folder),
  },
  h5: {
    fixture: 'keras_gemma_tiny',
    target: () => 'model.weights.h5',
    // HDF5 keeps its superblock, root group and B-tree/heap near the start; data further on.
    mutate: (bytes, random) => mutateBytes(bytes, random, { headerBytes: 4096, headerBias: 0.6 }),
    run: (folder) => readAllKeras(folder),
  },
  'h5-index': {
    fixture: 'keras_gemma2_tiny_bf16_sharded',
    target: (random) => (random.chance(0.7) ? 'model.weights.json' : 'model_00001.weights.h5'),
    mutate: (bytes, random, file) => (file.endsWith('.json') ? mutateJsonFile(bytes, random) : mutateBytes(bytes, random, { headerBytes: 4096 })),
    run: (folder) => readAllKeras(folder),
  },
  lora: {
    fixture: 'keras_gemma_tiny.lora.h5',
    target: () => 'keras_gemma_tiny.lora.h5',
    mutate: (bytes, random) => mutateBytes(bytes, random, { headerBytes: 4096, headerBias: 0.6 }),
    async run(folder) {
      const lora = await readLoraWeights(join(folder, 'keras_gemma_tiny.lora.h5'));
      const entries: [string, StoredTensor][] = [];
      for (const [index, factors] of lora.layers) entries.push([`${index}/a`, factors.a], [`${index}/b`, factors.b]);
      return `rank ${lora.rank} ${digestTensors(entries)}`;
    },
  },
  spm: {
    fixture: 'keras_gemma_tiny',
    target: () => 'assets/tokenizer/vocabulary.spm',
    mutate: (bytes, random) => mutateBytes(bytes, random, { headerBytes: 256, headerBias: 0.3 }),
    async run(folder) {
      const tokenizer = await GemmaTokenizer.fromPreset(folder);
      const ids = tokenizer.tokenize(SAMPLE);
      return `${ids.join(',')}|${tokenizer.detokenize(ids)}`;
    },
  },
  'keras-config': {
    fixture: 'keras_gemma_tiny',
    target: () => 'config.json',
    mutate: (bytes, random) => mutateJsonFile(bytes, random),
    async run(folder) {
      const backbone = await GemmaBackbone.fromPreset(folder);
      try {
        return `${backbone.weights.length} variables, ${backbone.countParams()} parameters`;
      } finally {
        backbone.dispose();
      }
    },
  },
  'hf-config': {
    fixture: 'hf_gemma_native',
    target: () => 'config.json',
    mutate: (bytes, random) => mutateJsonFile(bytes, random),
    async run(folder) {
      const backbone = await GemmaBackbone.fromPreset(folder);
      try {
        return `${backbone.weights.length} variables, ${backbone.countParams()} parameters`;
      } finally {
        backbone.dispose();
      }
    },
  },
};

/**
 * Writes `bytes` under a temporary name and renames it over `path`: a new inode each case. HDF5
 * recognises an already-open file by device and inode, and after the known walk leak (fuzz.test.ts)
 * it would serve the next case's file, rewritten in place, from the leaked file's stale metadata.
 */
function replaceFile(path: string, bytes: Uint8Array): void {
  writeFileSync(`${path}.next`, bytes);
  renameSync(`${path}.next`, path);
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** To the parent over IPC; without one (a replay by hand: `node fuzz-child.mjs`), as JSON lines. */
function send(message: ChildMessage): Promise<void> {
  if (!process.send) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    return Promise.resolve();
  }
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

/** The error's class and whether it is a TensorzooError whose message names a file of the copy. */
function classify(error: unknown, folder: string): Pick<CaseReport, 'outcome' | 'errorName' | 'message'> {
  const message = error instanceof Error ? error.message : String(error);
  const errorName = error instanceof Error ? error.name : typeof error;
  if (!(error instanceof TensorzooError)) return { outcome: 'foreign-error', errorName, message };
  const namesFile = message.includes(folder) || readdirSync(folder, { recursive: true }).some((name) => message.includes(String(name)) && String(name).includes('.'));
  return { outcome: namesFile ? 'error' : 'error-without-file', errorName, message };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.env.TENSORZOO_FUZZ_REQUEST!) as ChildRequest;
  // Under the parent's scratch folder, which it removes even when this process is killed.
  const scratch = mkdtempSync(join(request.scratch, 'run-'));
  try {
    for (const job of request.jobs) {
      const family = families[job.family]!;
      const folder = join(scratch, job.family);
      const source = join(request.fixtures, family.fixture);
      cpSync(source, family.fixture.endsWith('.h5') ? join(folder, family.fixture) : folder, { recursive: true });
      const clean = await family.run(folder);
      const familyDescriptors = openDescriptors();
      for (let index = job.start; index < job.start + job.count; index++) {
        const random = caseRandom(job.seed, index);
        const file = family.target(random);
        const original = readFileSync(join(folder, file));
        const { bytes, steps } = family.mutate(new Uint8Array(original), random, file);
        replaceFile(join(folder, file), bytes);
        await send({ type: 'start', family: job.family, index, file, steps });
        const before = openDescriptors();
        let report: Pick<CaseReport, 'outcome' | 'errorName' | 'message'>;
        try {
          const output = await family.run(folder);
          report = { outcome: output === clean ? 'ok-clean' : 'ok-changed' };
        } catch (error) {
          report = classify(error, folder);
        }
        await new Promise((resolve) => setImmediate(resolve));
        const after = openDescriptors();
        replaceFile(join(folder, file), original);
        await send({ type: 'done', family: job.family, index, file, steps, ...report, descriptorsBefore: before, descriptorsAfter: after });
      }
      await send({ type: 'family-end', family: job.family, descriptorsAtStart: familyDescriptors, descriptorsAtEnd: openDescriptors() });
    }
    const status = readFileSync('/proc/self/status', 'utf8');
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    await send({ type: 'end', peakRssBytes: peakKb * 1024 });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`fuzz child failed outside a case: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(3);
  },
);
