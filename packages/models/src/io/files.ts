// File-system helpers shared by every checkpoint reader and writer: atomic writes, JSON configs
// with clear errors, and validation of the file names that index files point at.

import { CheckpointError, describeError } from './errors.js';
import { baseName, joinPath, parentFolder } from './paths.js';

// Node's file system is imported on first use, not at load time, so that this module (and the
// byte-level readers that use its pure helpers) also load in browsers.
const nodeFs = () => import('node:fs/promises');

/**
 * The temporary name a file is written under before being renamed into place: same folder (so
 * the rename stays on one file system and is atomic), hidden, and unique per call.
 */
export function temporaryPathFor(path: string): string {
  const random = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  const processId = typeof process === 'undefined' ? 0 : process.pid;
  return joinPath(parentFolder(path), `.${baseName(path)}.${processId}.${random}.tmp`);
}

/**
 * Runs `writeTo(temporaryPath)`, then renames the result over `path`, so a reader never sees a
 * half-written file and a crash leaves the old file intact. The temporary file is removed when
 * anything fails.
 */
export async function writeAtomically(path: string, writeTo: (temporaryPath: string) => Promise<void>): Promise<void> {
  const { rename, unlink } = await nodeFs();
  const temporaryPath = temporaryPathFor(path);
  try {
    await writeTo(temporaryPath);
    await rename(temporaryPath, path);
  } catch (error) {
    await unlink(temporaryPath).catch(() => undefined);
    throw error;
  }
}

/** Writes bytes or text to `path` atomically (temporary name, then rename). */
export async function writeFileAtomic(path: string, contents: Uint8Array | string): Promise<void> {
  const { open } = await nodeFs();
  await writeAtomically(path, async (temporaryPath) => {
    const handle = await open(temporaryPath, 'w');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** A missing file as a CheckpointError naming it and what it was expected to be. */
export function missingFileError(path: string, what: string, cause?: unknown): CheckpointError {
  return new CheckpointError(`${what} not found`, { file: path }, { cause });
}

/** What a path holds when it is not a regular file, for messages ("a directory", "a FIFO"). */
export function nonFileKind(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  return info.isDirectory() ? 'a directory' : info.isFIFO() ? 'a FIFO (named pipe)' : info.isSocket() ? 'a socket' : 'a device or other special file';
}

/**
 * Reads a whole file; a missing file is a CheckpointError that says what the file is for, and so
 * is a directory or FIFO in its place. The file is opened non-blocking (a FIFO would otherwise
 * block the open until a writer came) and checked to be a regular file before it is read.
 */
export async function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  const { constants } = await import('node:fs');
  const { open: openHandle } = await nodeFs();
  let handle: Awaited<ReturnType<typeof openHandle>>;
  try {
    handle = await openHandle(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingFileError(path, what, error);
    throw new CheckpointError(`cannot read ${what}: ${describeError(error)}`, { file: path }, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CheckpointError(`${what} is ${nonFileKind(info)}, not a file`, { file: path });
    const buffer = await handle.readFile();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`cannot read ${what}: ${describeError(error)}`, { file: path }, { cause: error });
  } finally {
    await handle.close();
  }
}

/**
 * Size in bytes of a file, or undefined when nothing is there. Something that is there but is not
 * a regular file (a directory or FIFO where a weights file belongs) is a CheckpointError saying
 * so, not "not found".
 */
export async function fileSize(path: string): Promise<number | undefined> {
  const { stat } = await nodeFs();
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`cannot read: ${describeError(error)}`, { file: path }, { cause: error });
  }
  if (!info.isFile()) throw new CheckpointError(`expected a file, found ${nonFileKind(info)}`, { file: path });
  return info.size;
}

/** Parses JSON text; a syntax error names the file and what it holds. */
export function parseJson(text: string, where: { file: string; what: string }): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${where.what} is not valid JSON: ${describeError(error)}`, { file: where.file }, { cause: error });
  }
}

/**
 * Reads a JSON file (a preset's `config.json`, an index file ...). `what` says what the file is,
 * for the messages: "missing config.json" is less useful than "preset config not found".
 */
export async function readJson(path: string, options: { what: string }): Promise<any> {
  const bytes = await readFileBytes(path, options.what);
  return parseJson(new TextDecoder().decode(bytes), { file: path, what: options.what });
}

/** Writes a value as JSON (indented like Keras and transformers do) atomically. */
export async function writeJson(path: string, value: unknown, options: { indent?: number } = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, options.indent ?? 4)}\n`);
}

/**
 * Checks a file name taken from an index file (`model.weights.json`, `model.safetensors.index.json`)
 * before it is joined to the checkpoint folder: it must be a plain name inside that folder, so a
 * hostile or corrupt index cannot make a reader open, or a downloader write, anything outside it.
 */
export function checkShardName(name: unknown, where: { file: string; tensor?: string }): string {
  const problem =
    typeof name !== 'string'
      ? `is not a string (${JSON.stringify(name)})`
      : name.length === 0 || name === '.'
        ? 'is not a file name'
        : name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)
          ? 'is an absolute path'
          : name.includes('..')
            ? 'contains ".."'
            : name.includes('/') || name.includes('\\')
              ? 'contains a path separator (shards must sit beside the index file)'
              : /[\u0000-\u001f]/.test(name)
                ? 'contains control characters'
                : undefined;
  if (problem !== undefined) {
    throw new CheckpointError(`shard file name ${JSON.stringify(name)} ${problem}`, where);
  }
  return name as string;
}
