// Loading h5wasm and opening HDF5 files with it, from disk (Node) or from bytes (anywhere).
//
// h5wasm ships two builds of the same WebAssembly HDF5 library:
// - `h5wasm/node` is compiled with Emscripten's NODERAWFS, so `new File(path)` reads the host
//   file system directly, a block at a time. Multi-gigabyte checkpoints are never copied into
//   memory as a whole, which is why paths on disk go through this build.
// - `h5wasm` (the ESM build) keeps files in Emscripten's in-memory file system (MEMFS): bytes are
//   written into it with `FS.writeFile` and read back with `FS.readFile`. It works in browsers,
//   workers and Node alike, so the byte-level readers and writers use it.
// Each build is one WebAssembly instance, loaded on first use and shared afterwards.

import type * as H5 from 'h5wasm';

import { CheckpointError, describeError } from './errors.js';
import { nonFileKind } from './files.js';

export type H5Api = typeof import('h5wasm');
export type H5File = H5.File;
export type H5Group = H5.Group;
export type H5Dataset = H5.Dataset;

/** The pieces of h5wasm's Emscripten module used here beyond the high-level API. */
interface H5ModuleInternals {
  _malloc(size: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
  FS: {
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
    mkdir(path: string): void;
    streams: ({ path?: string; nfd?: number } | null | undefined)[];
    close(stream: object): void;
  };
  /** Read by Emscripten's abort() before it prints "Aborted(…)" to stderr; throwing here skips the print. */
  onAbort?: (what: unknown) => void;
  get_dataset_data(fileId: bigint, path: string, count: bigint[] | null, offset: bigint[] | null, strides: bigint[] | null, pointer: bigint): number;
  activate_throwing_error_handler(): number;
}

export interface H5Runtime {
  api: H5Api;
  module: H5ModuleInternals;
}

let nodeRuntime: Promise<H5Runtime> | undefined;
let memoryRuntime: Promise<H5Runtime> | undefined;

async function initialise(api: H5Api): Promise<H5Runtime> {
  const module = (await api.ready) as unknown as H5ModuleInternals;
  // HDF5's default error handler prints its error stack to stderr and lets the call return a
  // failure code; the throwing handler turns the stack into a JavaScript exception instead, which
  // the readers below rewrap with the file and tensor names.
  module.activate_throwing_error_handler();
  // A corrupt file can make HDF5 call abort(): Emscripten would print "Aborted(…)" to stderr,
  // then throw. Thrown from here instead, the error reaches the reader (which names the file)
  // and nothing is printed.
  module.onAbort = (what) => {
    throw new WebAssembly.RuntimeError(`Aborted(${String(what)})`);
  };
  return { api, module };
}

/**
 * h5wasm's throwing error handler prints HDF5's error stack into a `tmpfile()` and throws before
 * it reaches its `fclose`: every HDF5 error leaves that file open (a real file descriptor under
 * NODERAWFS: 200 failed opens, 200 descriptors). Nothing else in the library uses tmpfile(), and
 * the handler has returned (thrown) by the time JavaScript runs again, so every such stream left
 * open is a leaked one: close them.
 */
export function releaseErrorStreams(runtime: H5Runtime): void {
  const { FS } = runtime.module;
  for (const stream of FS.streams ?? []) {
    if (stream && typeof stream.path === 'string' && /^\/tmp\/tmpfile_/.test(stream.path)) {
      try {
        FS.close(stream);
      } catch {
        // Already closed: nothing to release.
      }
    }
  }
}

/** A failure inside h5wasm as one CheckpointError naming the file (and tensor); HDF5's leaked error streams released. */
export function hdf5Failure(runtime: H5Runtime, what: string, error: unknown, location: { file: string; tensor?: string }): CheckpointError {
  releaseErrorStreams(runtime);
  if (error instanceof CheckpointError) return error;
  if (error instanceof WebAssembly.RuntimeError || /^Aborted\(|memory access out of bounds|unreachable/.test(describeError(error)))
    return new CheckpointError(`${what}: the HDF5 library failed on this file (${describeError(error).split('\n')[0]}); it is corrupt`, location, { cause: error });
  return new CheckpointError(`${what}: ${summariseHdf5Error(error)}`, location, { cause: error });
}

/** Runs h5wasm calls on an open file; any failure becomes `hdf5Failure`'s one error naming the file. */
export function guardH5<T>(open: Pick<OpenH5, 'runtime' | 'label'>, what: string, body: () => T, tensor?: string): T {
  try {
    return body();
  } catch (error) {
    throw hdf5Failure(open.runtime, what, error, { file: open.label, tensor });
  }
}

let loadingBuilds = 0;

/**
 * Emscripten binds `console.error` once, when h5wasm's module is created (`err =
 * console.error.bind(console)`), and prints through it: "warning: Invalid UTF-8 leading byte"
 * for a corrupt name, "Aborted(…)", C's stderr. A stand-in is installed while a build loads; once
 * loaded, only h5wasm holds it, and it prints only with TENSORZOO_HDF5_DIAGNOSTICS=1: HDF5's
 * diagnostics stay off stderr, and the reader's error names the file instead.
 */
async function importQuietly<T>(load: () => Promise<T>): Promise<T> {
  const original = console.error;
  const standIn = (...args: unknown[]) => {
    if (loadingBuilds > 0 || (typeof process !== 'undefined' && process.env?.TENSORZOO_HDF5_DIAGNOSTICS === '1')) original.apply(console, args);
  };
  loadingBuilds++;
  console.error = standIn;
  try {
    return await load();
  } finally {
    loadingBuilds--;
    if (console.error === standIn) console.error = original;
  }
}

/**
 * The module once its Emscripten factory has run: the factory binds `console.error` only after its
 * first `await` (Node's ESM build imports `module` first), so the stand-in must stay installed
 * until `ready`, or h5wasm keeps the real console.error (a corrupt name's UTF-8 warning reached
 * stderr in the fuzz corpus).
 */
async function importReady<T extends { ready: Promise<unknown> }>(loading: Promise<T>): Promise<T> {
  const api = await loading;
  await api.ready;
  return api;
}

/** The NODERAWFS build, for files on the host file system (Node only). */
export function nodeH5Runtime(): Promise<H5Runtime> {
  nodeRuntime ??= importQuietly(() => importReady(import('h5wasm/node'))).then((api) => initialise(api as unknown as H5Api));
  return nodeRuntime;
}

/** The MEMFS build, for files held as bytes (browsers, workers, Node). */
export function memoryH5Runtime(): Promise<H5Runtime> {
  memoryRuntime ??= importQuietly(() => importReady(import('h5wasm'))).then((api) => initialise(api));
  return memoryRuntime;
}

/** HDF5's format signature, the first 8 bytes of every file h5py and Keras write. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(header: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((byte, index) => header[index] === byte);
}

/**
 * The innermost line of an HDF5 error stack ("truncated file: eof = ...", "unable to open file")
 * is the actual cause; the outer frames only repeat "unable to open".
 */
export function summariseHdf5Error(error: unknown): string {
  const text = describeError(error);
  const frames = [...text.matchAll(/#\d+: [^\n]* in ([A-Za-z0-9_]+\(\)): ([^\n]*)/g)];
  const innermost = frames.at(-1);
  return innermost ? `${innermost[2]!.trim()} (${innermost[1]})` : text.split('\n')[0]!.trim();
}

/**
 * Files (device:inode) still open inside HDF5 after close: when a corrupt file fails mid-walk,
 * h5wasm's throwing error handler leaves group ids open, so H5Fclose (weak close degree) keeps the
 * file and its descriptor open, and HDF5 would serve a later open of the same inode, repaired in
 * place, from the stale metadata it cached (the fuzz corpus read truncated files "successfully"
 * that way). Such a reopen is refused instead (closeFile records them).
 */
const staleHdf5Files = new Set<string>();
/** Open handles per device:inode: the file may stay open only while one of them is live. */
const liveHdf5Opens = new Map<string, number>();


/**
 * Whether one of HDF5's open streams (NODERAWFS: a host descriptor `nfd`) is still this
 * device:inode; once none is, the inode may belong to a new file and the record is dropped.
 */
async function stillHeldByHdf5(identity: string): Promise<boolean> {
  const { fstatSync } = await import('node:fs');
  const runtime = await nodeH5Runtime();
  return (runtime.module.FS.streams ?? []).some((stream) => {
    if (typeof stream?.nfd !== 'number') return false;
    try {
      const info = fstatSync(stream.nfd);
      return `${info.dev}:${info.ino}` === identity;
    } catch {
      return false;
    }
  });
}

/** An open HDF5 file plus what is needed to release it. */
export interface OpenH5 {
  /** device:inode of a file opened from disk (HDF5 recognises an open file by them). */
  identity?: string;
  file: H5File;
  runtime: H5Runtime;
  /** The name used in error messages: the path on disk or the name the bytes were given. */
  label: string;
  close(): void;
}

function openOrExplain(runtime: H5Runtime, fsPath: string, label: string, byteLength: number): H5File {
  // Streams leaked by an earlier failure elsewhere (a writer, another reader) are released first.
  releaseErrorStreams(runtime);
  try {
    return new runtime.api.File(fsPath, 'r');
  } catch (error) {
    throw hdf5Failure(runtime, `cannot open as HDF5 (${byteLength} bytes; the file is truncated or corrupt)`, error, { file: label });
  }
}

/** Closes an h5wasm file; a failure to close is one error naming the file. */
function closeFile(runtime: H5Runtime, file: H5File, label: string, identity?: string): void {
  try {
    file.close();
  } catch (error) {
    throw hdf5Failure(runtime, 'cannot close', error, { file: label });
  } finally {
    releaseErrorStreams(runtime);
    if (identity !== undefined) {
      const live = (liveHdf5Opens.get(identity) ?? 1) - 1;
      if (live > 0) liveHdf5Opens.set(identity, live);
      else liveHdf5Opens.delete(identity);
      // No handle left, yet still among the open streams: HDF5 kept the file open (staleHdf5Files).
      if (live === 0 && (runtime.module.FS.streams ?? []).some((stream) => stream?.path === label)) staleHdf5Files.add(identity);
    }
  }
}

/** Opens an HDF5 file on disk read-only, with a clear error when it is missing or not HDF5. */
export async function openH5Path(path: string, what: string): Promise<OpenH5> {
  const { open } = await import('node:fs/promises');
  let header: Uint8Array;
  let byteLength: number;
  let identity: string | undefined;
  try {
    // Non-blocking open and a regular-file check: a FIFO would block the open, a directory fails
    // later inside HDF5; both are named here (issue 19).
    const { constants } = await import('node:fs');
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new CheckpointError(`${what} is ${nonFileKind(info)}, not a file`, { file: path });
      byteLength = info.size;
      identity = `${info.dev}:${info.ino}`;
      header = new Uint8Array(8);
      await handle.read(header, 0, 8, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CheckpointError(`${what} not found`, { file: path }, { cause: error });
    }
    throw new CheckpointError(`cannot read ${what}: ${describeError(error)}`, { file: path }, { cause: error });
  }
  if (!hasHdf5Signature(header)) {
    throw new CheckpointError(`${what} is not an HDF5 file (no HDF5 signature in its first bytes)`, { file: path });
  }
  if (staleHdf5Files.has(identity!) && !(await stillHeldByHdf5(identity!))) staleHdf5Files.delete(identity!);
  if (staleHdf5Files.has(identity!)) {
    throw new CheckpointError(
      `${what} was found corrupt earlier in this process and the HDF5 library still holds that file open; it would answer from that stale state: replace the file with a new copy (or restart the process) to read it`,
      { file: path },
    );
  }
  const runtime = await nodeH5Runtime();
  const file = openOrExplain(runtime, path, path, byteLength);
  liveHdf5Opens.set(identity!, (liveHdf5Opens.get(identity!) ?? 0) + 1);
  return { file, runtime, label: path, identity, close: () => closeFile(runtime, file, path, identity) };
}

let memoryFileCounter = 0;

/** Opens HDF5 bytes read-only by placing them in the in-memory file system; close() frees them. */
export async function openH5Bytes(label: string, bytes: Uint8Array, what: string): Promise<OpenH5> {
  if (!hasHdf5Signature(bytes)) {
    throw new CheckpointError(`${what} is not an HDF5 file (no HDF5 signature in its first bytes)`, { file: label });
  }
  const runtime = await memoryH5Runtime();
  const fsPath = `/tensorzoo-read-${++memoryFileCounter}.h5`;
  runtime.module.FS.writeFile(fsPath, bytes);
  let file: H5File;
  try {
    file = openOrExplain(runtime, fsPath, label, bytes.byteLength);
  } catch (error) {
    runtime.module.FS.unlink(fsPath);
    throw error;
  }
  return {
    file,
    runtime,
    label,
    close: () => {
      try {
        closeFile(runtime, file, label);
      } finally {
        runtime.module.FS.unlink(fsPath);
      }
    },
  };
}

/**
 * Reads a dataset's stored bytes exactly (little-endian), whatever its type: h5wasm's `.value`
 * converts to typed arrays but refuses IEEE half floats, and its raw read is what bfloat16
 * (opaque) and float16 both need. Datasets larger than `slabBytes` are read in slabs along the
 * first axis so the WebAssembly heap (2 GiB at most) never holds more than one slab.
 */
export function readDatasetBytes(
  open: OpenH5,
  datasetPath: string,
  shape: readonly number[],
  elementByteSize: number,
  slabBytes = 256 * 1024 * 1024,
): Uint8Array {
  const { module } = open.runtime;
  const elements = shape.reduce((product, dimension) => product * dimension, 1);
  const totalBytes = elements * elementByteSize;
  let output: Uint8Array;
  try {
    output = new Uint8Array(totalBytes);
  } catch (error) {
    // A corrupt or hostile header can declare any size; say so instead of a bare RangeError.
    throw new CheckpointError(`cannot allocate ${totalBytes} bytes for shape ${JSON.stringify(shape)}`, { file: open.label, tensor: datasetPath }, { cause: error });
  }
  if (totalBytes === 0) return output;
  const readInto = (count: bigint[] | null, offset: bigint[] | null, strides: bigint[] | null, byteLength: number, at: number) => {
    const pointer = module._malloc(byteLength);
    if (pointer === 0) {
      throw new CheckpointError(`out of WebAssembly memory reading ${byteLength} bytes`, { file: open.label, tensor: datasetPath });
    }
    try {
      module.get_dataset_data(open.file.file_id, datasetPath, count, offset, strides, BigInt(pointer));
      output.set(module.HEAPU8.subarray(pointer, pointer + byteLength), at);
    } catch (error) {
      throw hdf5Failure(open.runtime, 'cannot read the data', error, { file: open.label, tensor: datasetPath });
    } finally {
      module._free(pointer);
    }
  };
  if (totalBytes <= slabBytes || shape.length === 0 || shape[0]! <= 1) {
    readInto(null, null, null, totalBytes, 0);
    return output;
  }
  const rowBytes = totalBytes / shape[0]!;
  const rowsPerSlab = Math.max(1, Math.floor(slabBytes / rowBytes));
  for (let firstRow = 0; firstRow < shape[0]!; firstRow += rowsPerSlab) {
    const rows = Math.min(rowsPerSlab, shape[0]! - firstRow);
    const count = [BigInt(rows), ...shape.slice(1).map(BigInt)];
    const offset = [BigInt(firstRow), ...shape.slice(1).map(() => 0n)];
    const strides = shape.map(() => 1n);
    readInto(count, offset, strides, rows * rowBytes, firstRow * rowBytes);
  }
  return output;
}
