// Corrupt .h5 files (issue 19), generated here from the keras_gemma_tiny fixture with seeded
// 4-byte corruptions: every failure is one CheckpointError naming the file (never a bare
// "HDF5-DIAG" stack or an "Aborted(…)" from inside h5wasm), and no failure leaks a file
// descriptor (h5wasm's throwing error handler used to leave one tmpfile open per HDF5 error).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { CheckpointError, readKerasWeights, readLoraWeights } from '../../src/io/index.js';
import { nodeH5Runtime } from '../../src/io/h5-runtime.js';
import { fixturesDirectory } from '../backends.js';

const source = join(fixturesDirectory, 'keras_gemma_tiny', 'model.weights.h5');
const original = readFileSync(source);
const scratch = mkdtempSync(join(tmpdir(), 'tensorzoo-h5-corruption-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const openDescriptors = () => readdirSync('/proc/self/fd').length;
// Installed before h5wasm loads, so that whatever h5wasm prints to "stderr" (its bound
// console.error: UTF-8 warnings, "Aborted(…)", C's stderr) would land here.
const consoleErrors = vi.spyOn(console, 'error');

/** A copy of the fixture with `bytes` written at `offset`, in a folder of its own. */
function corrupted(name: string, offset: number, bytes: number[]): string {
  const folder = join(scratch, name);
  mkdirSync(folder, { recursive: true });
  const copy = Buffer.from(original);
  bytes.forEach((value, index) => (copy[offset + index] = value));
  writeFileSync(join(folder, 'model.weights.h5'), copy);
  return folder;
}

/** Opens, lists and reads every tensor; the error, if any. */
async function readAll(location: string): Promise<unknown> {
  try {
    const weights = await readKerasWeights(location);
    try {
      for (const path of weights.paths()) weights.get(path);
    } finally {
      weights.close();
    }
    return null;
  } catch (error) {
    return error;
  }
}

function expectOneLineNamingTheFile(error: unknown, file: string): void {
  expect(error, 'an error').toBeInstanceOf(CheckpointError);
  const message = (error as Error).message;
  expect(message.startsWith(file), message).toBe(true);
  expect(message).not.toContain('\n');
  expect(message).not.toMatch(/HDF5-DIAG/);
}

describe('corrupt .h5 headers', () => {
  // Found with the seeded search below: a bad object header (open fails), a broken link table
  // (the group walk fails) and bytes that made HDF5 call abort() (Aborted(native code called abort())).
  const cases: [string, number, number[], RegExp][] = [
    // First: on a fresh library these bytes abort; after other failures HDF5's caches make the
    // same file a plain "bad heap pointer" error. Either way, one line naming the file.
    ['abort', 2093, [21, 46, 99, 92], /cannot read the file's groups and datasets: (the HDF5 library failed on this file \(Aborted\(native code called abort\(\)\)\); it is corrupt|bad heap pointer)/],
    ['open', 61, [1, 2, 3, 4], /cannot open as HDF5 .*bad object header version number/],
    ['walk', 1519, [5, 22, 39, 56], /cannot read the file's groups and datasets: /],
  ];

  test.each(cases)('%s failure: one error naming the file', async (name, offset, bytes, pattern) => {
    const folder = corrupted(name, offset, bytes);
    const error = await readAll(folder);
    expectOneLineNamingTheFile(error, join(folder, 'model.weights.h5'));
    expect((error as Error).message).toMatch(pattern);
  });

  test("an abort inside HDF5 throws from onAbort, so Emscripten's 'Aborted(…)' line is never printed", async () => {
    const { module } = await nodeH5Runtime();
    expect(() => (module as unknown as { onAbort: (what: string) => void }).onAbort('test')).toThrow(/^Aborted\(test\)$/);
  });

  test('after the failures a good file still reads', async () => {
    expect(await readAll(source)).toBeNull();
  });

  test('200 failed opens and 50 failed walks keep the descriptor count flat', async () => {
    const badOpen = corrupted('fd-open', 61, [1, 2, 3, 4]);
    const badWalk = corrupted('fd-walk', 1519, [5, 22, 39, 56]);
    await readAll(badOpen); // the runtime's own first-use descriptors
    const before = openDescriptors();
    for (let attempt = 0; attempt < 200; attempt++) expect(await readAll(badOpen)).toBeInstanceOf(CheckpointError);
    for (let attempt = 0; attempt < 50; attempt++) expect(await readAll(badWalk)).toBeInstanceOf(CheckpointError);
    expect(openDescriptors(), 'open file descriptors after 250 failures').toBeLessThanOrEqual(before);
  });

  test('a .lora.h5 file that fails to open names the file and leaks nothing', async () => {
    const file = join(scratch, 'bad.lora.h5');
    copyFileSync(join(fixturesDirectory, 'keras_gemma_tiny.lora.h5'), file);
    const bytes = readFileSync(file);
    bytes.set([1, 2, 3, 4], 61);
    writeFileSync(file, bytes);
    const before = openDescriptors();
    for (let attempt = 0; attempt < 20; attempt++) {
      const error = await readLoraWeights(file).then(
        () => null,
        (caught: unknown) => caught,
      );
      expectOneLineNamingTheFile(error, file);
    }
    expect(openDescriptors()).toBeLessThanOrEqual(before);
  });

  test('nothing from HDF5 or h5wasm reached stderr (console.error) during the failures above', () => {
    expect(consoleErrors.mock.calls.map((call) => call.map(String).join(' '))).toEqual([]);
  });

  test('60 seeded 4-byte corruptions of the header region: each reads or fails with one error naming the file; a second pass leaks nothing', async () => {
    let seed = 19;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const folders: string[] = [];
    for (let index = 0; index < 60; index++) {
      const offset = 8 + Math.floor(random() * 4096);
      folders.push(corrupted(`seeded-${index}`, offset, [0, 1, 2, 3].map(() => Math.floor(random() * 256))));
    }
    const before = openDescriptors();
    const refused: string[] = [];
    for (const folder of folders) {
      const error = await readAll(folder);
      if (error === null) continue;
      expectOneLineNamingTheFile(error, join(folder, 'model.weights.h5'));
      refused.push(folder);
    }
    expect(refused.length).toBeGreaterThan(0);
    // Where HDF5 fails inside a group walk, h5wasm's C++ leaves HDF5 object ids open and HDF5 keeps
    // that file open (at most one descriptor per distinct corrupt file, reused on every retry).
    const afterFirstPass = openDescriptors();
    expect(afterFirstPass - before).toBeLessThanOrEqual(refused.length);
    for (const folder of refused) expect(await readAll(folder)).toBeInstanceOf(CheckpointError);
    expect(openDescriptors(), 'descriptors after retrying every refused file').toBeLessThanOrEqual(afterFirstPass);
    expect(consoleErrors.mock.calls.map((call) => call.map(String).join(' ')), 'printed by h5wasm').toEqual([]);
  });
});
