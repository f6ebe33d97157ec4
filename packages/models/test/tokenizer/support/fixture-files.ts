// Test fixtures copied from the project's shared reference data into test/fixtures (tests never
// read outside the repository).
import { readFileSync } from 'node:fs';

export function readFixture(name: string): Uint8Array {
  const buffer = readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}
