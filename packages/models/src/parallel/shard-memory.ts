// Memory a model-parallel load will need, checked before any shard starts or any weight is read:
// the bytes of every variable as the shards will hold it (its variable dtype), per shard against
// the shard's WebAssembly memory (4 GiB, wasm32) and in all against the machine's available memory.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TensorzooError } from '@tensorzoo/core';
import type { ShardPlan, VariablePlacement } from './shard-plan.js';

export const bytesPerElement = (dtype: string): number => (dtype === 'bfloat16' || dtype === 'float16' ? 2 : dtype === 'int8' ? 1 : 4);

/** Room a shard keeps for activations, the cache and the allocator's rounding: 1/8 of its memory. */
export const shardHeadroom = 0.125;

/** The machine's available memory: MemAvailable from /proc/meminfo (Linux), else os.freemem(). */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

export interface ShardMemory {
  /** Bytes of weights in all, as held (sum over shards; replicated variables counted per shard). */
  totalBytes: number;
  perShardBytes: number[];
}

export function shardMemory(placements: readonly (VariablePlacement & { dtype: string })[], shards: number): ShardMemory {
  const perShardBytes = new Array<number>(shards).fill(0);
  for (const placement of placements) {
    const inner = placement.shape.reduce((product, size, axis) => (axis === placement.axis ? product : product * size), 1);
    placement.slices.forEach((slice, shard) => {
      perShardBytes[shard]! += (placement.axis === null ? placement.shape.reduce((p, s) => p * s, 1) : inner * slice.length) * bytesPerElement(placement.dtype);
    });
  }
  return { totalBytes: perShardBytes.reduce((sum, bytes) => sum + bytes, 0), perShardBytes };
}

/**
 * Refuses, with the numbers, a model whose shards would not fit: a shard's weights above
 * (1 - headroom) of its memory limit, or all weights above the machine's available memory.
 */
export function checkShardMemory(what: string, plan: ShardPlan, memory: ShardMemory, limitBytes: number, available = availableMemoryBytes()): void {
  const largest = Math.max(...memory.perShardBytes);
  const usable = limitBytes * (1 - shardHeadroom);
  const smaller = plan.config.dtype === 'float32' ? "--dtype bfloat16 (dtype: 'bfloat16') or " : '';
  if (largest > usable) {
    throw new TensorzooError(
      `${what}: each of ${plan.shards} shard(s) would hold up to ${gib(largest)} of ${plan.config.dtype} weights, above the ${gib(usable)} a shard can use ` +
        `(${gib(limitBytes)} of WebAssembly memory less ${shardHeadroom * 100}% for activations and the cache); ` +
        `use ${suggestedShards(plan, memory.totalBytes, usable)} shards, ${smaller}a quantized preset`,
    );
  }
  if (memory.totalBytes > available)
    throw new TensorzooError(
      `${what}: the weights need ${gib(memory.totalBytes)} as ${plan.config.dtype} across ${plan.shards} shard(s), more than the ${gib(available)} this machine has available; ` +
        `use ${smaller}a quantized preset`,
    );
}

/** The smallest shard count (at least the bytes' share) that divides the heads, the width and the vocabulary: "at least N" or "N". */
function suggestedShards(plan: ShardPlan, totalBytes: number, usable: number): string {
  const { numQueryHeads: N, numKeyValueHeads: K, vocabularySize: V, intermediateDim } = plan.config;
  const F = intermediateDim / 2;
  const valid = (S: number) => N % S === 0 && F % S === 0 && V % S === 0 && (K % S === 0 || S % K === 0);
  const least = Math.max(plan.shards + 1, Math.ceil(totalBytes / usable));
  for (let shards = least; shards <= N; shards++) if (valid(shards)) return `at least ${shards}`;
  return `more than ${plan.shards}`;
}

let collector: (() => void) | null | undefined;

/**
 * A full garbage collection of the calling thread's heap, where V8 allows exposing it (a fresh
 * context gets `gc` once --expose-gc is set); a no-op otherwise. Loading moves gigabytes through
 * ArrayBuffers that are garbage as soon as they are copied into a shard's WebAssembly memory: V8
 * frees them only when its external-memory heuristics fire (a 512 MB buffer measured still
 * resident 100 ms after it became unreachable), which the RSS bound cannot afford.
 */
export function collectGarbage(): void {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as () => void;
    } catch {
      collector = null;
    }
  }
  collector?.();
}

/** Slices at least this large are collected right after they are copied (a full GC of a small heap costs a few ms). */
export const collectAfterBytes = 16 * 2 ** 20;
