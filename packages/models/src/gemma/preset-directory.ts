// Writing a whole preset folder atomically: everything goes into a hidden sibling folder first,
// which then replaces the target by renames, so a failure (a full disk, a bad tensor, an
// interrupted quantize) leaves no half-written preset behind: either the old files or the new.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// Files a fresh weights save supersedes: a stale index or shard would otherwise be preferred by
// KerasHub (and by our reader) over the new weights.
const weightsFile = /^(model\.weights\.h5|model\.weights\.json|model_\d{5}\.weights\.h5)$/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A unique hidden folder beside `path`, on the same file system (so renames are atomic). */
function temporaryFolderFor(path: string): string {
  const random = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${random}.tmp`);
}

/** Moves every entry of `from` into `to` (folders merged recursively), each by one rename. */
async function moveInto(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory() && (await exists(target))) await moveInto(source, target);
    else {
      if (entry.isDirectory()) await rm(target, { recursive: true, force: true });
      await rename(source, target);
    }
  }
}

/**
 * Runs `write(folder)` on a fresh temporary folder, then puts its files at `presetDir`: a plain
 * rename when `presetDir` does not exist; otherwise each file is renamed over its old version
 * (KerasHub saves into existing folders too), and weights files the new save does not have (a
 * stale index or shards) are removed. On failure the temporary folder is removed and `presetDir`
 * is untouched.
 */
export async function writePresetFolderAtomically(presetDir: string, write: (folder: string) => Promise<void>): Promise<void> {
  const temporary = temporaryFolderFor(presetDir);
  await mkdir(dirname(presetDir), { recursive: true });
  await mkdir(temporary);
  try {
    await write(temporary);
    if (!(await exists(presetDir))) {
      await rename(temporary, presetDir);
      return;
    }
    const written = new Set(await readdir(temporary));
    if ([...written].some((name) => weightsFile.test(name)))
      for (const name of await readdir(presetDir)) if (weightsFile.test(name) && !written.has(name)) await rm(join(presetDir, name), { force: true });
    await moveInto(temporary, presetDir);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
