// File-system helpers shared by every checkpoint reader and writer: atomic writes, JSON configs
// with clear errors, and validation of the file names that index files point at.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, describeError } from './errors.js';
/**
 * The temporary name a file is written under before being renamed into place: same folder (so
 * the rename stays on one file system and is atomic), hidden, and unique per call.
 */
export function temporaryPathFor(path) {
    return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}
/**
 * Runs `writeTo(temporaryPath)`, then renames the result over `path`, so a reader never sees a
 * half-written file and a crash leaves the old file intact. The temporary file is removed when
 * anything fails.
 */
export async function writeAtomically(path, writeTo) {
    const temporaryPath = temporaryPathFor(path);
    try {
        await writeTo(temporaryPath);
        await rename(temporaryPath, path);
    }
    catch (error) {
        await unlink(temporaryPath).catch(() => undefined);
        throw error;
    }
}
/** Writes bytes or text to `path` atomically (temporary name, then rename). */
export async function writeFileAtomic(path, contents) {
    await writeAtomically(path, async (temporaryPath) => {
        const handle = await open(temporaryPath, 'w');
        try {
            await handle.writeFile(contents);
            await handle.sync();
        }
        finally {
            await handle.close();
        }
    });
}
/** A missing file as a CheckpointError naming it and what it was expected to be. */
export function missingFileError(path, what, cause) {
    return new CheckpointError(`${what} not found`, { file: path }, { cause });
}
/** Reads a whole file; a missing file is a CheckpointError that says what the file is for. */
export async function readFileBytes(path, what) {
    try {
        const buffer = await readFile(path);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    catch (error) {
        if (error.code === 'ENOENT')
            throw missingFileError(path, what, error);
        throw new CheckpointError(`cannot read ${what}: ${describeError(error)}`, { file: path }, { cause: error });
    }
}
/** Size in bytes of a file, or undefined when it does not exist. */
export async function fileSize(path) {
    try {
        const info = await stat(path);
        return info.isFile() ? info.size : undefined;
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return undefined;
        throw error;
    }
}
/** Parses JSON text; a syntax error names the file and what it holds. */
export function parseJson(text, where) {
    try {
        return JSON.parse(text);
    }
    catch (error) {
        throw new CheckpointError(`${where.what} is not valid JSON: ${describeError(error)}`, { file: where.file }, { cause: error });
    }
}
/**
 * Reads a JSON file (a preset's `config.json`, an index file ...). `what` says what the file is,
 * for the messages: "missing config.json" is less useful than "preset config not found".
 */
export async function readJson(path, options) {
    const bytes = await readFileBytes(path, options.what);
    return parseJson(new TextDecoder().decode(bytes), { file: path, what: options.what });
}
/** Writes a value as JSON (indented like Keras and transformers do) atomically. */
export async function writeJson(path, value, options = {}) {
    await writeFileAtomic(path, `${JSON.stringify(value, null, options.indent ?? 4)}\n`);
}
/**
 * Checks a file name taken from an index file (`model.weights.json`, `model.safetensors.index.json`)
 * before it is joined to the checkpoint folder: it must be a plain name inside that folder, so a
 * hostile or corrupt index cannot make a reader open, or a downloader write, anything outside it.
 */
export function checkShardName(name, where) {
    const problem = typeof name !== 'string'
        ? `is not a string (${JSON.stringify(name)})`
        : name.length === 0
            ? 'is empty'
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
    return name;
}
/** Writes raw bytes to an already-open file position by position (used to patch files in place). */
export async function writeAt(path, patches) {
    const handle = await open(path, 'r+');
    try {
        for (const patch of patches)
            await handle.write(patch.bytes, 0, patch.bytes.byteLength, patch.position);
        await handle.sync();
    }
    finally {
        await handle.close();
    }
}
