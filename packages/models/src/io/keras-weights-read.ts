// Reading Keras 3 weights files (spec §4): a single `model.weights.h5`, or the sharded form,
// `model.weights.json` (an index from group to shard file) plus `model_00000.weights.h5`, ...
// Tensors are addressed by their HDF5 dataset path exactly as stored, for example
// `layers/reversible_embedding/vars/0`; `gemma-h5-layout.ts` maps those to Keras variable paths.

import { CheckpointError } from './errors.js';
import { checkShardName, fileSize, parseJson, readFileBytes } from './files.js';
import { openH5Bytes, openH5Path, readDatasetBytes, type OpenH5 } from './h5-runtime.js';
import { walkH5, type H5NodeInfo } from './h5-tree.js';
import { baseName, joinPath, parentFolder } from './paths.js';
import { checkExpectedShape, dtypeByteSize, storedDataFromBytes, type StoredDType, type StoredTensor, type TensorExpectation } from './stored-tensor.js';

/** KerasHub's file names inside a preset folder (spec §3.2, §4.5). */
export const KERAS_WEIGHTS_FILE = 'model.weights.h5';
export const KERAS_SHARDED_INDEX_FILE = 'model.weights.json';

export interface KerasTensorInfo {
  shape: number[];
  dtype: StoredDType;
  /** The file (path or name) holding the dataset. */
  file: string;
}

export interface KerasWeights {
  /** The weights files that were opened: the single file, or the index followed by its shards. */
  readonly files: readonly string[];
  /**
   * Reads one dataset, e.g. `layers/reversible_embedding/vars/0` (a leading `/` is accepted).
   * With `expected.shape`, a different stored shape is an error naming the file and tensor.
   */
  get(h5Path: string, expected?: TensorExpectation): StoredTensor;
  has(h5Path: string): boolean;
  /** Shape, dtype and file of a dataset without reading its data. */
  info(h5Path: string): KerasTensorInfo;
  /** Every dataset path: file by file, each in HDF5's order (depth first, names sorted). */
  paths(): string[];
  /** Releases the open files; the object must not be used afterwards. */
  close(): void;
}

/** The sharded index (spec §4.5): `weight_map` from "/<group>/vars" to one shard or a list. */
export interface KerasShardedIndex {
  metadata?: { total_size?: number };
  weight_map: Record<string, string | string[]>;
}

function normalise(h5Path: string): string {
  return h5Path.replace(/^\/+/, '').replace(/\/+$/, '');
}

interface IndexedDataset {
  open: OpenH5;
  node: H5NodeInfo & { shape: number[]; dtype: StoredDType };
}

function indexDatasets(open: OpenH5, accept: (path: string) => boolean, into: Map<string, IndexedDataset>): void {
  for (const node of walkH5(open)) {
    if (node.kind !== 'dataset' || !accept(node.path)) continue;
    if (node.dtype === undefined || node.dtype.startsWith('unsupported')) {
      throw new CheckpointError(`cannot read this dataset's type (${node.dtype})`, { file: open.label, tensor: node.path });
    }
    const previous = into.get(node.path);
    if (previous) {
      throw new CheckpointError(`dataset is stored twice, also in ${previous.open.label}`, { file: open.label, tensor: node.path });
    }
    into.set(node.path, { open, node: node as IndexedDataset['node'] });
  }
}

class OpenKerasWeights implements KerasWeights {
  // JavaScript-private (#) fields: test runners and loggers that walk an object's properties
  // would otherwise reach h5wasm's Emscripten module, whose unexported-runtime getters abort
  // the WebAssembly instance when touched.
  readonly #datasets: Map<string, IndexedDataset>;
  readonly #opened: OpenH5[];
  readonly #description: string;

  constructor(
    readonly files: readonly string[],
    datasets: Map<string, IndexedDataset>,
    opened: OpenH5[],
    description: string,
  ) {
    this.#datasets = datasets;
    this.#opened = opened;
    this.#description = description;
  }

  private find(h5Path: string): IndexedDataset {
    const path = normalise(h5Path);
    const entry = this.#datasets.get(path);
    if (!entry) {
      throw new CheckpointError(`tensor not found (the weights hold ${this.#datasets.size} tensors)`, { file: this.#description, tensor: path });
    }
    return entry;
  }

  get(h5Path: string, expected?: TensorExpectation): StoredTensor {
    const { open, node } = this.find(h5Path);
    checkExpectedShape(node.shape, expected, { file: open.label, tensor: node.path });
    const bytes = readDatasetBytes(open, node.path, node.shape, dtypeByteSize(node.dtype));
    return { shape: [...node.shape], dtype: node.dtype, data: storedDataFromBytes(node.dtype, bytes) };
  }

  has(h5Path: string): boolean {
    return this.#datasets.has(normalise(h5Path));
  }

  info(h5Path: string): KerasTensorInfo {
    const { open, node } = this.find(h5Path);
    return { shape: [...node.shape], dtype: node.dtype, file: open.label };
  }

  paths(): string[] {
    return [...this.#datasets.keys()];
  }

  close(): void {
    for (const open of this.#opened.splice(0)) open.close();
  }
}

/** Validates a parsed `model.weights.json` and returns its weight map with checked shard names. */
export function parseKerasShardedIndex(value: unknown, indexLabel: string): Map<string, string[]> {
  const weightMap = (value as KerasShardedIndex | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError('sharded weights index has no "weight_map" object', { file: indexLabel });
  }
  const groups = new Map<string, string[]>();
  for (const [groupKey, target] of Object.entries(weightMap)) {
    if (!groupKey.startsWith('/') || !groupKey.endsWith('/vars')) {
      throw new CheckpointError(`weight_map key ${JSON.stringify(groupKey)} is not of the form "/<layer path>/vars"`, { file: indexLabel });
    }
    const names = Array.isArray(target) ? target : [target];
    if (names.length === 0) throw new CheckpointError(`weight_map entry ${groupKey} lists no shard`, { file: indexLabel });
    groups.set(
      normalise(groupKey),
      names.map((name) => checkShardName(name, { file: indexLabel, tensor: groupKey })),
    );
  }
  return groups;
}

/** How the readers below reach files: on disk (paths) or in memory (bytes by name). */
interface WeightsSource {
  label(name: string): string;
  readText(name: string, what: string): Promise<string>;
  openH5(name: string, what: string): Promise<OpenH5>;
}

async function readFromSource(source: WeightsSource, singleName: string, indexName: string | undefined): Promise<KerasWeights> {
  const opened: OpenH5[] = [];
  const datasets = new Map<string, IndexedDataset>();
  try {
    if (indexName === undefined) {
      const open = await source.openH5(singleName, 'Keras weights file');
      opened.push(open);
      indexDatasets(open, () => true, datasets);
      return new OpenKerasWeights([open.label], datasets, opened, open.label);
    }
    const indexLabel = source.label(indexName);
    const index = parseJson(await source.readText(indexName, 'sharded Keras weights index'), {
      file: indexLabel,
      what: 'sharded Keras weights index',
    });
    const groups = parseKerasShardedIndex(index, indexLabel);
    const shardNames = [...new Set([...groups.values()].flat())];
    const groupsByShard = new Map<string, Set<string>>(shardNames.map((name) => [name, new Set()]));
    for (const [group, names] of groups) for (const name of names) groupsByShard.get(name)!.add(group);
    for (const name of shardNames) {
      const open = await source.openH5(name, `weights shard named by ${indexName}`);
      opened.push(open);
      const listed = groupsByShard.get(name)!;
      // Like Keras, take from each shard only the groups the index assigns to it.
      indexDatasets(open, (path) => listed.has(path.slice(0, path.lastIndexOf('/'))), datasets);
    }
    for (const [group, names] of groups) {
      const found = [...datasets.keys()].some((path) => path.startsWith(`${group}/`));
      if (!found) {
        throw new CheckpointError(`the index assigns group /${group} to ${names.join(', ')}, which hold no datasets in it`, {
          file: indexLabel,
        });
      }
    }
    return new OpenKerasWeights([indexLabel, ...opened.map((open) => open.label)], datasets, opened, indexLabel);
  } catch (error) {
    for (const open of opened) open.close();
    throw error;
  }
}

/**
 * Opens the Keras weights of a KerasHub preset folder: `model.weights.json` and its shards when
 * the index exists (KerasHub prefers it), otherwise `model.weights.h5`. `location` may also be
 * the path of a `.weights.h5` or `.weights.json` file itself.
 */
export async function readKerasWeights(location: string): Promise<KerasWeights> {
  let folder = location;
  let singleName = KERAS_WEIGHTS_FILE;
  let indexName: string | undefined;
  if (location.endsWith('.h5')) {
    folder = parentFolder(location);
    singleName = baseName(location);
  } else if (location.endsWith('.json')) {
    folder = parentFolder(location);
    indexName = baseName(location);
  } else if ((await fileSize(joinPath(location, KERAS_SHARDED_INDEX_FILE))) !== undefined) {
    indexName = KERAS_SHARDED_INDEX_FILE;
  } else if ((await fileSize(joinPath(location, KERAS_WEIGHTS_FILE))) === undefined) {
    throw new CheckpointError(`no Keras weights: neither ${KERAS_WEIGHTS_FILE} nor ${KERAS_SHARDED_INDEX_FILE} exists`, { file: location });
  }
  const source: WeightsSource = {
    label: (name) => joinPath(folder, name),
    readText: async (name, what) => new TextDecoder().decode(await readFileBytes(joinPath(folder, name), what)),
    openH5: (name, what) => openH5Path(joinPath(folder, name), what),
  };
  return readFromSource(source, singleName, indexName);
}

/**
 * The same, for files held in memory (browsers, downloads): `files` maps file names, as they
 * would appear in a preset folder, to their bytes. Uses `model.weights.json` when present, else
 * `model.weights.h5`, else the only `.h5` file given.
 */
export async function readKerasWeightsFromBytes(files: ReadonlyMap<string, Uint8Array>): Promise<KerasWeights> {
  const lookup = (name: string, what: string): Uint8Array => {
    const bytes = files.get(name);
    if (!bytes) throw new CheckpointError(`${what} not found among the ${files.size} files given`, { file: name });
    return bytes;
  };
  const source: WeightsSource = {
    label: (name) => name,
    readText: async (name, what) => new TextDecoder().decode(lookup(name, what)),
    openH5: (name, what) => openH5Bytes(name, lookup(name, what), what),
  };
  if (files.has(KERAS_SHARDED_INDEX_FILE)) return readFromSource(source, KERAS_WEIGHTS_FILE, KERAS_SHARDED_INDEX_FILE);
  if (files.has(KERAS_WEIGHTS_FILE)) return readFromSource(source, KERAS_WEIGHTS_FILE, undefined);
  const h5Names = [...files.keys()].filter((name) => name.endsWith('.h5'));
  if (h5Names.length === 1) return readFromSource(source, h5Names[0]!, undefined);
  throw new CheckpointError(
    `no Keras weights among the files given: expected ${KERAS_WEIGHTS_FILE} or ${KERAS_SHARDED_INDEX_FILE} (got ${[...files.keys()].join(', ') || 'none'})`,
  );
}
