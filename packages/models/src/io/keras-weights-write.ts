// Writing Keras 3 weights files that Keras and KerasHub load (spec §4): the group tree of the
// saving walk with each `vars` group's `name` attribute, one dataset per variable ("0", "1", ...),
// bfloat16 as 2-byte opaque data with a `dtype="bfloat16"` attribute, and, above a size limit,
// Keras' sharded form (`model.weights.json` + `model_00000.weights.h5`, ...) split exactly where
// Keras would split it (spec §4.5).

import { CheckpointError } from './errors.js';
import { temporaryPathFor, writeAtomically, writeFileAtomic } from './files.js';
import type { KerasGroup } from './gemma-h5-layout.js';
import { BFLOAT16_PLACEHOLDER_DTYPE, patchBfloat16InBytes, patchBfloat16InFile } from './h5-bfloat16-patch.js';
import { memoryH5Runtime, nodeH5Runtime, openH5Bytes, openH5Path, summariseHdf5Error, type H5File, type H5Group, type H5Runtime, type OpenH5 } from './h5-runtime.js';
import { walkH5 } from './h5-tree.js';
import { KERAS_SHARDED_INDEX_FILE, KERAS_WEIGHTS_FILE } from './keras-weights-read.js';
import { joinPath } from './paths.js';
import { checkStoredTensor, storedByteLength, type StoredDType, type StoredTensor } from './stored-tensor.js';
import { isStreamedTensor, type WritableTensor } from './streamed-tensor.js';
import { checkStreamedDataset, writeStreamedDataset } from './h5-streamed-dataset.js';

export interface KerasWeightEntry {
  /** Dataset path as stored, `<group>/vars/<n>`, e.g. `layers/reversible_embedding/vars/0`. */
  h5Path: string;
  tensor: StoredTensor;
}

/** An entry whose data may also be a StreamedTensor, produced slab by slab while the file is written. */
export interface StreamedKerasWeightEntry {
  h5Path: string;
  tensor: WritableTensor;
}

export interface WriteKerasWeightsOptions {
  /**
   * Shard when the variables' total size exceeds this many bytes (KerasHub's `max_shard_size`
   * is in GiB: pass `gib * 1024 ** 3`). Unset: always one `model.weights.h5`.
   */
  maxShardSizeBytes?: number;
  /**
   * Every group the saving walk creates, in walk order, with its `name` attribute (for Gemma:
   * `gemmaKerasGroups(config, naming)`), including layers without variables. Unset: the groups
   * holding `entries`, named after their last path segment. Keras locates variables by path and
   * never reads the names, so both load; the full list reproduces Keras' file exactly.
   */
  groups?: readonly KerasGroup[];
}

// h5wasm dtype strings (numpy-style) per stored dtype. float16 is absent: h5wasm cannot create
// 2-byte IEEE floats; bool is absent: h5py stores it as an HDF5 enum, which h5wasm cannot write.
const H5WASM_DTYPE: Partial<Record<StoredDType, string>> = {
  float64: '<d',
  float32: '<f',
  bfloat16: BFLOAT16_PLACEHOLDER_DTYPE,
  int64: '<q',
  int32: '<i',
  int16: '<h',
  int8: '<b',
  uint64: '<Q',
  uint32: '<I',
  uint16: '<H',
  uint8: '<B',
};

interface PlannedGroup {
  path: string;
  name: string | undefined;
  entries: StreamedKerasWeightEntry[];
}

/** Groups in walk order with their entries, after checking every entry. */
function planGroups(entries: readonly StreamedKerasWeightEntry[], groups: readonly KerasGroup[] | undefined): PlannedGroup[] {
  const planned = new Map<string, PlannedGroup>();
  for (const group of groups ?? []) {
    if (planned.has(group.path)) throw new CheckpointError(`group "${group.path}" is listed twice`);
    planned.set(group.path, { path: group.path, name: group.name, entries: [] });
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const h5Path = entry.h5Path.replace(/^\/+/, '');
    const match = /^(?:(.*)\/)?vars\/([^/]+)$/.exec(h5Path);
    if (!match) throw new CheckpointError('dataset path must end in "vars/<name>"', { tensor: entry.h5Path });
    if (seen.has(h5Path)) throw new CheckpointError('dataset is given twice', { tensor: h5Path });
    seen.add(h5Path);
    if (isStreamedTensor(entry.tensor)) checkStreamedDataset(entry.tensor, { tensor: h5Path });
    else checkStoredTensor(entry.tensor, { tensor: h5Path });
    if (H5WASM_DTYPE[entry.tensor.dtype] === undefined) {
      throw new CheckpointError(`writing ${entry.tensor.dtype} is not supported (h5wasm cannot create that HDF5 type)`, { tensor: h5Path });
    }
    const groupPath = match[1] ?? '';
    let group = planned.get(groupPath);
    if (!group) {
      if (groups) throw new CheckpointError(`its group "${groupPath}" is not in the groups given`, { tensor: h5Path });
      group = { path: groupPath, name: groupPath.split('/').at(-1) ?? '', entries: [] };
      planned.set(groupPath, group);
    }
    group.entries.push({ h5Path, tensor: entry.tensor });
  }
  return [...planned.values()];
}

/** One output file: the groups created in it (with or without name) and the datasets it holds. */
interface ShardPlan {
  fileName: string;
  steps: ({ kind: 'group'; path: string; name: string | undefined } | { kind: 'dataset'; entry: StreamedKerasWeightEntry })[];
  bfloat16Count: number;
}

/**
 * Splits the walk into files as Keras' ShardedH5IOStore does: a variable whose size would push
 * the current shard past the limit starts a new shard, its group is re-created there without a
 * name attribute, and a single variable above the limit is an error.
 */
function planShards(groups: PlannedGroup[], maxShardSizeBytes: number | undefined): { shards: ShardPlan[]; sharded: boolean } {
  const total = groups.reduce((sum, group) => sum + group.entries.reduce((inner, entry) => inner + storedByteLength(entry.tensor), 0), 0);
  const sharded = maxShardSizeBytes !== undefined && total > maxShardSizeBytes;
  const shardName = (index: number) => (sharded ? `model_${String(index).padStart(5, '0')}.weights.h5` : KERAS_WEIGHTS_FILE);
  const shards: ShardPlan[] = [{ fileName: shardName(0), steps: [], bfloat16Count: 0 }];
  let current = shards[0]!;
  let currentBytes = 0;
  for (const group of groups) {
    current.steps.push({ kind: 'group', path: group.path, name: group.name });
    for (const entry of group.entries) {
      const bytes = storedByteLength(entry.tensor);
      if (sharded && currentBytes + bytes > maxShardSizeBytes!) {
        if (bytes > maxShardSizeBytes!) {
          throw new CheckpointError(`${bytes} bytes exceed the shard size limit of ${maxShardSizeBytes} bytes`, { tensor: entry.h5Path });
        }
        current = { fileName: shardName(shards.length), steps: [{ kind: 'group', path: group.path, name: undefined }], bfloat16Count: 0 };
        shards.push(current);
        currentBytes = 0;
      }
      currentBytes += bytes;
      current.steps.push({ kind: 'dataset', entry });
      if (entry.tensor.dtype === 'bfloat16') current.bfloat16Count++;
    }
  }
  return { shards, sharded };
}

function varsGroupPath(groupPath: string): string {
  return groupPath === '' ? 'vars' : `${groupPath}/vars`;
}

/** Creates `path` and any missing parents (h5wasm creates one level at a time). */
function ensureGroup(file: H5File, path: string): void {
  let prefix = '';
  for (const part of path.split('/')) {
    prefix = prefix === '' ? part : `${prefix}/${part}`;
    if (file.get(prefix) === null) file.create_group(prefix);
  }
}

/** Writes one shard's groups and datasets into an h5wasm file created at `fsPath`. */
function writeShardContents(runtime: H5Runtime, fsPath: string, shard: ShardPlan, label: string): void {
  // libver ("earliest", "v108"): superblock 0 and version-1 object headers, as h5py writes by
  // default, and what the bfloat16 patch relies on.
  let file: H5File;
  try {
    file = new runtime.api.File(fsPath, 'w', { libver: ['earliest', 'v108'] });
  } catch (error) {
    throw new CheckpointError(`cannot create the file: ${summariseHdf5Error(error)}`, { file: label }, { cause: error });
  }
  let current = '';
  try {
    for (const step of shard.steps) {
      if (step.kind === 'group') {
        current = step.path;
        const vars = varsGroupPath(step.path);
        ensureGroup(file, vars);
        if (step.name !== undefined) (file.get(vars) as H5Group).create_attribute('name', step.name);
        continue;
      }
      const { h5Path, tensor } = step.entry;
      current = h5Path;
      const slash = h5Path.lastIndexOf('/');
      const group = file.get(h5Path.slice(0, slash)) as H5Group;
      const dataset = isStreamedTensor(tensor)
        ? writeStreamedDataset(group, h5Path.slice(slash + 1), tensor, H5WASM_DTYPE[tensor.dtype]!, { file: label, tensor: h5Path })
        : group.create_dataset({
            name: h5Path.slice(slash + 1),
            data: tensor.data,
            shape: tensor.shape,
            dtype: H5WASM_DTYPE[tensor.dtype]!,
          });
      if (tensor.dtype === 'bfloat16') dataset.create_attribute('dtype', 'bfloat16');
    }
  } catch (error) {
    throw new CheckpointError(`writing failed: ${summariseHdf5Error(error)}`, { file: label, tensor: current }, { cause: error });
  } finally {
    file.close();
  }
}

/** Re-reads a written shard and checks that its bf16 datasets came out as opaque bf16. */
function verifyShard(open: OpenH5, shard: ShardPlan): void {
  const dtypes = new Map(walkH5(open).map((node) => [node.path, node.dtype]));
  for (const step of shard.steps) {
    if (step.kind !== 'dataset') continue;
    const stored = dtypes.get(step.entry.h5Path);
    if (stored !== step.entry.tensor.dtype) {
      throw new CheckpointError(`wrote ${step.entry.tensor.dtype} but it reads back as ${stored}`, { file: open.label, tensor: step.entry.h5Path });
    }
  }
}

/** The index JSON text exactly as Keras writes it (4-space indent, `total_size` as a float). */
function shardIndexText(shards: ShardPlan[]): string {
  const weightMap: Record<string, string | string[]> = {};
  let totalSize = 0;
  for (const shard of shards) {
    for (const step of shard.steps) {
      if (step.kind !== 'dataset') continue;
      totalSize += storedByteLength(step.entry.tensor);
      const key = `/${step.entry.h5Path.slice(0, step.entry.h5Path.lastIndexOf('/'))}`;
      const previous = weightMap[key];
      if (previous === undefined) weightMap[key] = shard.fileName;
      else if (Array.isArray(previous)) {
        if (!previous.includes(shard.fileName)) previous.push(shard.fileName);
      } else if (previous !== shard.fileName) weightMap[key] = [previous, shard.fileName];
    }
  }
  const placeholder = '__TOTAL_SIZE__';
  const text = JSON.stringify({ metadata: { total_size: placeholder }, weight_map: weightMap }, null, 4);
  // Python's json writes a float total as "168768.0"; keep that spelling.
  return text.replace(`"${placeholder}"`, Number.isInteger(totalSize) ? `${totalSize}.0` : String(totalSize));
}

/**
 * Writes Keras weights into `presetDir`: `model.weights.h5`, or, when the total exceeds
 * `maxShardSizeBytes`, `model.weights.json` with `model_00000.weights.h5`, ... Every file is
 * written under a temporary name and renamed into place (shards first, index last). A stale
 * index or stale higher-numbered shards from an earlier save are removed, since KerasHub would
 * otherwise prefer the old index over a new single file.
 */
export async function writeKerasWeights(presetDir: string, entries: readonly StreamedKerasWeightEntry[], options: WriteKerasWeightsOptions = {}): Promise<void> {
  const { shards, sharded } = planShards(planGroups(entries, options.groups), options.maxShardSizeBytes);
  const { mkdir, readdir, rename, unlink } = await import('node:fs/promises');
  // Like KerasHub's save_to_preset, which makes the preset folder if needed.
  await mkdir(presetDir, { recursive: true });
  const runtime = await nodeH5Runtime();
  const written: { temporaryPath: string; finalPath: string }[] = [];
  try {
    for (const shard of shards) {
      const finalPath = joinPath(presetDir, shard.fileName);
      const temporaryPath = temporaryPathFor(finalPath);
      written.push({ temporaryPath, finalPath });
      await writeCheckedShard(runtime, temporaryPath, shard, finalPath);
    }
    for (const { temporaryPath, finalPath } of written) await rename(temporaryPath, finalPath);
  } catch (error) {
    for (const { temporaryPath } of written) await unlink(temporaryPath).catch(() => undefined);
    throw error;
  }
  const staleShard = /^model_(\d{5})\.weights\.h5$/;
  for (const name of await readdir(presetDir)) {
    const match = staleShard.exec(name);
    if (match && (!sharded || Number(match[1]) >= shards.length)) await unlink(joinPath(presetDir, name));
  }
  if (sharded) {
    await writeFileAtomic(joinPath(presetDir, KERAS_SHARDED_INDEX_FILE), shardIndexText(shards));
  } else {
    await unlink(joinPath(presetDir, KERAS_SHARDED_INDEX_FILE)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** Writes a shard to `fsPath` on disk, marks its bf16 datasets opaque and checks the result. */
async function writeCheckedShard(runtime: H5Runtime, fsPath: string, shard: ShardPlan, label: string): Promise<void> {
  writeShardContents(runtime, fsPath, shard, label);
  await patchBfloat16InFile(fsPath, shard.bfloat16Count, label);
  const open = await openH5Path(fsPath, 'written weights file');
  try {
    verifyShard({ ...open, label }, shard);
  } finally {
    open.close();
  }
}

/**
 * Writes one HDF5 file in Keras' layout at exactly `filePath` (temporary name, then rename), never
 * sharded: for `.weights.h5` files named by the caller and for `.lora.h5` files.
 */
export async function writeKerasWeightsFile(
  filePath: string,
  entries: readonly StreamedKerasWeightEntry[],
  options: Pick<WriteKerasWeightsOptions, 'groups'> = {},
): Promise<void> {
  const shard = planShards(planGroups(entries, options.groups), undefined).shards[0]!;
  const runtime = await nodeH5Runtime();
  await writeAtomically(filePath, (temporaryPath) => writeCheckedShard(runtime, temporaryPath, shard, filePath));
}

let memoryWriteCounter = 0;

/**
 * The same files as `writeKerasWeights`, returned as bytes by file name instead of written to
 * disk (browsers, uploads): one `model.weights.h5`, or the index and its shards.
 */
export async function writeKerasWeightsToBytes(entries: readonly StreamedKerasWeightEntry[], options: WriteKerasWeightsOptions = {}): Promise<Map<string, Uint8Array>> {
  const { shards, sharded } = planShards(planGroups(entries, options.groups), options.maxShardSizeBytes);
  const runtime = await memoryH5Runtime();
  const files = new Map<string, Uint8Array>();
  for (const shard of shards) {
    const fsPath = `/tensorzoo-write-${++memoryWriteCounter}.h5`;
    let bytes: Uint8Array;
    try {
      writeShardContents(runtime, fsPath, shard, shard.fileName);
      bytes = runtime.module.FS.readFile(fsPath);
    } finally {
      try {
        runtime.module.FS.unlink(fsPath);
      } catch {
        // Nothing was created when the file could not be opened.
      }
    }
    patchBfloat16InBytes(bytes, shard.bfloat16Count, shard.fileName);
    const open = await openH5Bytes(shard.fileName, bytes, 'written weights file');
    try {
      verifyShard(open, shard);
    } finally {
      open.close();
    }
    files.set(shard.fileName, bytes);
  }
  if (sharded) files.set(KERAS_SHARDED_INDEX_FILE, new TextEncoder().encode(shardIndexText(shards)));
  return files;
}
