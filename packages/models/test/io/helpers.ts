// Shared by the checkpoint-file tests: where the copied fixtures are, their reference weight
// lists, scratch folders, and a full listing of an HDF5 file for structure comparisons.

import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openH5Bytes, openH5Path } from '../../src/io/h5-runtime.js';
import { walkH5, type H5NodeInfo } from '../../src/io/h5-tree.js';
import type { GemmaLayoutConfig } from '../../src/io/gemma-h5-layout.js';
import type { StoredTensor } from '../../src/io/stored-tensor.js';

export const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(...parts: string[]): string {
  return join(fixturesDir, ...parts);
}

export interface ReferenceWeights {
  config: Record<string, unknown>;
  weights: { path: string; shape: number[] }[];
}

/** The `config` and `weights` of a KerasHub fixture's reference JSON (the big arrays are skipped). */
export function referenceWeights(name: string): ReferenceWeights {
  const reference = JSON.parse(readFileSync(fixture(`${name}.reference.json`), 'utf8')) as ReferenceWeights;
  return { config: reference.config, weights: reference.weights };
}

/** The layout part of a KerasHub fixture's config. */
export function layoutOf(config: Record<string, unknown>): GemmaLayoutConfig {
  return {
    numLayers: config.num_layers as number,
    usePostAttentionNorm: config.use_post_attention_norm === true,
    usePostFfwNorm: config.use_post_ffw_norm === true,
  };
}

/** The three KerasHub fixtures, with how Keras' session counters named their unnamed layers. */
export const kerasFixtures = [
  { name: 'keras_gemma_tiny', backboneName: 'gemma_backbone', autoNameStart: 0, shards: ['model.weights.h5'] },
  { name: 'keras_gemma2_tiny', backboneName: 'gemma_backbone_1', autoNameStart: 2, shards: ['model.weights.h5'] },
  {
    name: 'keras_gemma2_tiny_bf16_sharded',
    backboneName: 'gemma_backbone_1',
    autoNameStart: 3,
    shards: ['model_00000.weights.h5', 'model_00001.weights.h5'],
  },
] as const;

/** A fresh scratch folder; `cleanup` removes it. */
export async function scratchDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tensorzoo-io-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

const fixtureTrees = new Map<string, Promise<H5NodeInfo[]>>();

/** Every group and dataset of an HDF5 file with attributes, shapes and dtypes. */
export function h5Tree(path: string): Promise<H5NodeInfo[]> {
  // Fixture files never change, so their listings are computed once per test file.
  if (!path.startsWith(fixturesDir)) return listH5(path);
  let tree = fixtureTrees.get(path);
  if (!tree) fixtureTrees.set(path, (tree = listH5(path)));
  return tree;
}

async function listH5(path: string): Promise<H5NodeInfo[]> {
  const open = await openH5Path(path, 'test file');
  try {
    return walkH5(open);
  } finally {
    open.close();
  }
}

export async function h5TreeOfBytes(bytes: Uint8Array): Promise<H5NodeInfo[]> {
  const open = await openH5Bytes('bytes.h5', bytes, 'test file');
  try {
    return walkH5(open);
  } finally {
    open.close();
  }
}

/** Raw bytes of a typed array, for bit-for-bit comparisons. */
export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** True when two tensors have the same shape, dtype and bits (fast, unlike deep equality). */
export function sameTensor(left: StoredTensor, right: StoredTensor): boolean {
  return (
    left.dtype === right.dtype &&
    JSON.stringify(left.shape) === JSON.stringify(right.shape) &&
    Buffer.compare(bytesOf(left.data), bytesOf(right.data)) === 0
  );
}

export function sameBits(left: ArrayBufferView, right: ArrayBufferView): boolean {
  return Buffer.compare(bytesOf(left), bytesOf(right)) === 0;
}
