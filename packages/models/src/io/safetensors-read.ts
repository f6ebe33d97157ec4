// Reading Hugging Face safetensors checkpoints (spec §3.5): `model.safetensors`, or
// `model.safetensors.index.json` (its `weight_map` from key to shard file) plus the shards.
// Tensor data is read on demand, so a checkpoint is never loaded into memory as a whole.

import { CheckpointError, describeError } from './errors.js';
import { checkShardName, fileSize, parseJson, readFileBytes } from './files.js';
import { baseName, joinPath, parentFolder } from './paths.js';
import { parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry } from './safetensors-format.js';
import { allocateStoredData, diskSource, memorySource, readBytes, type ByteSource } from './safetensors-source.js';
import { checkExpectedShape, type StoredData, type StoredDType, type StoredTensor, type TensorExpectation } from './stored-tensor.js';
import { rowGeometry, type StreamedTensor } from './streamed-tensor.js';

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
  /**
   * Reads a tensor, looking `key` up with `resolveKey`; `expected.shape` is checked if given.
   * The data is read in pieces straight into one typed array of the tensor's dtype (any size the
   * engine can allocate: Node 20 holds up to 2^32 elements); larger ones are a CheckpointError
   * that points at `readElements` and `stream`.
   */
  get(key: string, expected?: TensorExpectation): StoredTensor;
  /** `count` elements of the row-major tensor from element `first`, by one positioned read. */
  readElements(key: string, first: number, count: number): StoredData;
  /**
   * Fills `target` (a typed array of the tensor's dtype, e.g. a backend's buffer) with the
   * elements from `first` on: no intermediate copy of the bytes.
   */
  readInto(key: string, target: StoredData, first?: number): void;
  /**
   * The tensor as a StreamedTensor: each `produce` reads slabs of whole rows into one reused
   * typed array, so a tensor of any size passes through (to a writer, a converter, a backend)
   * with one slab in memory.
   */
  stream(key: string): StreamedTensor;
  info(key: string): SafetensorsTensorInfo;
  close(): void;
}

interface OpenFile {
  source: ByteSource;
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

function openSafetensorsFile(source: ByteSource): OpenFile {
  try {
    const headerLength = safetensorsHeaderLength(readBytes(source, 0, Math.min(8, source.size)), source.size, source.label);
    const header = parseSafetensorsHeader(readBytes(source, 8, headerLength), source.size, source.label);
    return { source, entries: header.entries, metadata: header.metadata };
  } catch (error) {
    source.close();
    throw error;
  }
}

/** Reads `target.length` elements from element `first` of the tensor into `target`. */
function readElementsInto(source: ByteSource, entry: SafetensorsEntry, target: StoredData, first: number): void {
  const where = { file: source.label, tensor: entry.key };
  source.readInto(entry.start + first * entry.elementByteSize, target.buffer, target.byteOffset, target.byteLength, where);
}

function checkElementRange(entry: SafetensorsEntry, first: number, count: number, label: string): void {
  const total = entry.byteLength / entry.elementByteSize;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || first + count > total) {
    throw new CheckpointError(`element range [${first}, ${first} + ${count}) is outside the tensor's ${total} elements`, { file: label, tensor: entry.key });
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
    const where = { file: file.source.label, tensor: entry.key };
    checkExpectedShape(entry.shape, expected, where);
    const data = allocateStoredData(entry.dtype, entry.byteLength / entry.elementByteSize, where);
    readElementsInto(file.source, entry, data, 0);
    return { shape: [...entry.shape], dtype: entry.dtype, data };
  }

  readElements(key: string, first: number, count: number): StoredData {
    const { file, entry } = this.find(key);
    checkElementRange(entry, first, count, file.source.label);
    const data = allocateStoredData(entry.dtype, count, { file: file.source.label, tensor: entry.key });
    readElementsInto(file.source, entry, data, first);
    return data;
  }

  readInto(key: string, target: StoredData, first = 0): void {
    const { file, entry } = this.find(key);
    if (target?.BYTES_PER_ELEMENT !== entry.elementByteSize) {
      throw new CheckpointError(
        `readInto needs a typed array of ${entry.elementByteSize}-byte elements for ${entry.dtype}, received ${target?.constructor?.name ?? typeof target}`,
        { file: file.source.label, tensor: entry.key },
      );
    }
    checkElementRange(entry, first, target.length, file.source.label);
    readElementsInto(file.source, entry, target, first);
  }

  stream(key: string): StreamedTensor {
    const { file, entry } = this.find(key);
    const where = { file: file.source.label, tensor: entry.key };
    const { rows, rowElements } = rowGeometry(entry.shape);
    return {
      shape: [...entry.shape],
      dtype: entry.dtype,
      produce(maxSlabRows, write) {
        // One slab, reused: a 1-D tensor's "rows" are its elements (streamed-tensor.ts).
        const slabRows = Math.max(1, Math.min(maxSlabRows, rows));
        const slab = allocateStoredData(entry.dtype, slabRows * rowElements, where);
        for (let firstRow = 0; firstRow < rows; firstRow += slabRows) {
          const rowCount = Math.min(slabRows, rows - firstRow);
          const part = slab.subarray(0, rowCount * rowElements) as StoredData;
          readElementsInto(file.source, entry, part, firstRow * rowElements);
          write(part, firstRow, rowCount);
        }
      },
    };
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
