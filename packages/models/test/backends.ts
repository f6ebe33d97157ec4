// The backends a models test runs on: TENSORZOO_BACKENDS (comma-separated) or ['reference'].
// Non-reference backends register themselves when their core subpath is imported.
import { beforeAll, describe } from 'vitest';
import * as tz from '@tensorzoo/core';

export function backendNames(): string[] {
  const fromEnvironment = (process.env.TENSORZOO_BACKENDS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return fromEnvironment.length ? fromEnvironment : ['reference'];
}

export async function activateBackend(backend: string): Promise<void> {
  if (backend !== 'reference') await import(/* @vite-ignore */ `@tensorzoo/core/backends/${backend}`);
  await tz.setBackend(backend);
}

export function describeBackends(title: string, body: (backend: string) => void): void {
  for (const backend of backendNames())
    describe(`${title} [${backend}]`, () => {
      beforeAll(() => activateBackend(backend));
      body(backend);
    });
}

export const fixturesDirectory = new URL('./fixtures/', import.meta.url).pathname;

export interface JsonArray {
  shape: number[];
  data: number[];
}

/** Largest |a - b| over positions where `keep(index)` holds. */
export function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>, keep: (index: number) => boolean = () => true): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let worst = 0;
  for (let index = 0; index < actual.length; index++) if (keep(index)) worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
  return worst;
}
