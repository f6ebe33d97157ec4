// Reading Hugging Face safetensors checkpoints (spec §3.5): `model.safetensors`, or
// `model.safetensors.index.json` (its `weight_map` from key to shard file) plus the shards.
// Tensor data is read on demand, so a checkpoint is never loaded into memory as a whole.

import { CheckpointError, describeError } from './errors.js';
import { checkShardName, fileSize, parseJson, readFileBytes } from './files.js';
import { baseName, joinPath, parentFolder } from './paths.js';
import { parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry } from './safetensors-format.js';
import { checkExpectedShape, storedDataFromBytes, type StoredDType, type StoredTensor, type TensorExpectation } from './stored-tensor.js';

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

export interface SafetensorsTensorInfo {
  key: string;
  shape: number[];
  dtype: StoredDType;
  file: string;
}

export interface SafetensorsWeights {
  /** The files opened: the single file, or the index followed by its shards. */
  readonly files: readonly string[];
  /** `__metadata__` of the single file or of the first shard. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every stored key, in file order. */
  keys(): string[];
  /** True when `resolveKey` finds a stored key for `key`. */
  has(key: string): boolean;
  /**
   * KerasHub's key lookup (`SafetensorLoader.get_prefixed_key`): the exact key; else the prefix
   * remembered from an earlier suffix match plus the key; else the first stored key that ends
   * with the key (its leading part, e.g. `language_model.`, becomes the remembered prefix);
   * else the key as given.
   */
  resolveKey(key: string): string;
  /** Reads a tensor, looking `key` up with `resolveKey`; `expected.shape` is checked if given. */
  get(key: string, expected?: TensorExpectation): StoredTensor;
  info(key: string): SafetensorsTensorInfo;
  close(): void;
}

/** Random access to one file's bytes: a file descriptor on disk, or a byte array. */
interface ByteSource {
  label: string;
  size: number;
  read(position: number, length: number): Uint8Array;
  close(): void;
}

type NodeFs = typeof import('node:fs');

function diskSource(fs: NodeFs, path: string, what: string): ByteSource {
  const { closeSync, fstatSync, openSync, readSync } = fs;
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(`${what} not found`, { file: path }, { cause: error });
    throw new CheckpointError(`cannot open ${what}: ${describeError(error)}`, { file: path }, { cause: error });
  }
  const size = fstatSync(descriptor).size;
  return {
    label: path,
    size,
    read(position, length) {
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const count = readSync(descriptor, bytes, done, length - done, position + done);
        if (count === 0) throw new CheckpointError(`file ended at byte ${position + done} of ${size} while reading`, { file: path });
        done += count;
      }
      return bytes;
    },
    close: () => closeSync(descriptor),
  };
}

function memorySource(label: string, bytes: Uint8Array): ByteSource {
  return {
    label,
    size: bytes.byteLength,
    // A copy, so returned tensors never alias (or keep alive) the caller's whole file.
    read: (position, length) => bytes.slice(position, position + length),
    close: () => undefined,
  };
}

interface OpenFile {
  source: ByteSource;
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

function openSafetensorsFile(source: ByteSource): OpenFile {
  try {
    const headerLength = safetensorsHeaderLength(source.read(0, Math.min(8, source.size)), source.size, source.label);
    const header = parseSafetensorsHeader(source.read(8, headerLength), source.size, source.label);
    return { source, entries: header.entries, metadata: header.metadata };
  } catch (error) {
    source.close();
    throw error;
  }
}

class OpenSafetensors implements SafetensorsWeights {
  private prefix: string | undefined;

  constructor(
    readonly files: readonly string[],
    readonly metadata: Readonly<Record<string, string>>,
    private readonly located: Map<string, OpenFile>,
    private readonly opened: OpenFile[],
    private readonly description: string,
  ) {}

  keys(): string[] {
    return [...this.located.keys()];
  }

  resolveKey(key: string): string {
    if (this.located.has(key)) return key;
    if (this.prefix !== undefined && this.located.has(this.prefix + key)) return this.prefix + key;
    for (const stored of this.located.keys()) {
      if (stored.endsWith(key) && stored !== key) {
        this.prefix = stored.slice(0, stored.length - key.length);
        return stored;
      }
    }
    return key;
  }

  has(key: string): boolean {
    return this.located.has(this.resolveKey(key));
  }

  private find(key: string): { file: OpenFile; entry: SafetensorsEntry } {
    const resolved = this.resolveKey(key);
    const file = this.located.get(resolved);
    const entry = file?.entries.get(resolved);
    if (!file || !entry) {
      throw new CheckpointError(`tensor not found (the checkpoint holds ${this.located.size} tensors)`, { file: this.description, tensor: key });
    }
    return { file, entry };
  }

  get(key: string, expected?: TensorExpectation): StoredTensor {
    const { file, entry } = this.find(key);
    checkExpectedShape(entry.shape, expected, { file: file.source.label, tensor: entry.key });
    const bytes = file.source.read(entry.start, entry.byteLength);
    return { shape: [...entry.shape], dtype: entry.dtype, data: storedDataFromBytes(entry.dtype, bytes) };
  }

  info(key: string): SafetensorsTensorInfo {
    const { file, entry } = this.find(key);
    return { key: entry.key, shape: [...entry.shape], dtype: entry.dtype, file: file.source.label };
  }

  close(): void {
    for (const file of this.opened.splice(0)) file.source.close();
  }
}

function fromSingle(source: ByteSource): SafetensorsWeights {
  const file = openSafetensorsFile(source);
  const located = new Map([...file.entries.keys()].map((key) => [key, file]));
  return new OpenSafetensors([source.label], file.metadata, located, [file], source.label);
}

function fromIndex(indexLabel: string, indexText: string, openShard: (name: string) => ByteSource): SafetensorsWeights {
  const index = parseJson(indexText, { file: indexLabel, what: 'safetensors index' }) as { weight_map?: unknown };
  const weightMap = index?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError('safetensors index has no "weight_map" object', { file: indexLabel });
  }
  const shardOf = new Map<string, string>();
  for (const [key, name] of Object.entries(weightMap as Record<string, unknown>)) {
    shardOf.set(key, checkShardName(name, { file: indexLabel, tensor: key }));
  }
  const opened: OpenFile[] = [];
  try {
    const byName = new Map<string, OpenFile>();
    for (const name of new Set(shardOf.values())) {
      const file = openSafetensorsFile(openShard(name));
      opened.push(file);
      byName.set(name, file);
    }
    const located = new Map<string, OpenFile>();
    for (const [key, name] of shardOf) {
      const file = byName.get(name)!;
      if (!file.entries.has(key)) {
        throw new CheckpointError(`the index places this tensor in ${name}, which does not hold it`, { file: indexLabel, tensor: key });
      }
      located.set(key, file);
    }
    const files = [indexLabel, ...opened.map((file) => file.source.label)];
    return new OpenSafetensors(files, opened[0]?.metadata ?? {}, located, opened, indexLabel);
  } catch (error) {
    for (const file of opened) file.source.close();
    throw error;
  }
}

/**
 * Opens a Hugging Face checkpoint folder: `model.safetensors.index.json` and its shards when the
 * index exists (as KerasHub checks first), else `model.safetensors`. `location` may also be a
 * `.safetensors` file or an index `.json` file.
 */
export async function readSafetensors(location: string): Promise<SafetensorsWeights> {
  // Imported here rather than at the top so the byte-level reader below also loads in browsers.
  const fs = await import('node:fs');
  if (location.endsWith('.safetensors')) return fromSingle(diskSource(fs, location, 'safetensors file'));
  let folder = location;
  let indexPath: string | undefined;
  if (location.endsWith('.json')) {
    indexPath = location;
    folder = parentFolder(location);
  } else if ((await fileSize(joinPath(location, SAFETENSORS_INDEX_FILE))) !== undefined) {
    indexPath = joinPath(location, SAFETENSORS_INDEX_FILE);
  }
  if (indexPath === undefined) {
    if ((await fileSize(joinPath(location, SAFETENSORS_FILE))) === undefined) {
      throw new CheckpointError(`no safetensors weights: neither ${SAFETENSORS_FILE} nor ${SAFETENSORS_INDEX_FILE} exists`, { file: location });
    }
    return fromSingle(diskSource(fs, joinPath(location, SAFETENSORS_FILE), 'safetensors file'));
  }
  const indexText = new TextDecoder().decode(await readFileBytes(indexPath, 'safetensors index'));
  return fromIndex(indexPath, indexText, (name) => diskSource(fs, joinPath(folder, name), `safetensors shard named by ${baseName(indexPath!)}`));
}

/**
 * The same for files held in memory: `files` maps file names to bytes. Uses the index when
 * present, else `model.safetensors`, else the only `.safetensors` file given.
 */
export async function readSafetensorsFromBytes(files: ReadonlyMap<string, Uint8Array>): Promise<SafetensorsWeights> {
  const lookup = (name: string, what: string): Uint8Array => {
    const bytes = files.get(name);
    if (!bytes) throw new CheckpointError(`${what} not found among the ${files.size} files given`, { file: name });
    return bytes;
  };
  const index = files.get(SAFETENSORS_INDEX_FILE);
  if (index) {
    return fromIndex(SAFETENSORS_INDEX_FILE, new TextDecoder().decode(index), (name) =>
      memorySource(name, lookup(name, `safetensors shard named by ${SAFETENSORS_INDEX_FILE}`)),
    );
  }
  const names = files.has(SAFETENSORS_FILE) ? [SAFETENSORS_FILE] : [...files.keys()].filter((name) => name.endsWith('.safetensors'));
  if (names.length !== 1) {
    throw new CheckpointError(
      `expected ${SAFETENSORS_FILE}, ${SAFETENSORS_INDEX_FILE} or a single .safetensors file among the files given (got ${[...files.keys()].join(', ') || 'none'})`,
    );
  }
  return fromSingle(memorySource(names[0]!, files.get(names[0]!)!));
}
