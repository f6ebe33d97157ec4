// Walking an HDF5 file opened with h5wasm: every group and dataset with its attributes, and the
// mapping from HDF5 datatypes to stored dtypes (spec §4.3: float32 as IEEE float, bfloat16 as
// 2-byte opaque data with a `dtype="bfloat16"` attribute).

import { guardH5, type H5Dataset, type H5Group, type OpenH5 } from './h5-runtime.js';
import { CheckpointError } from './errors.js';
import type { StoredDType } from './stored-tensor.js';

// HDF5 datatype classes as h5wasm reports them in `metadata.type` (H5T_class_t).
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_OPAQUE = 5;

export interface H5AttributeInfo {
  name: string;
  value: unknown;
  /** "string", "float32", "int64" ...: what kind of HDF5 value it is. */
  kind: string;
}

export interface H5NodeInfo {
  /** Path without a leading slash ("layers/rms_normalization/vars/0"); "" is the root group. */
  path: string;
  kind: 'group' | 'dataset';
  attributes: H5AttributeInfo[];
  /** Datasets only. */
  shape?: number[];
  /** Datasets only: the stored dtype, or a description when it is not one we can read. */
  dtype?: StoredDType | `unsupported: ${string}`;
}

interface DatatypeMetadata {
  type: number;
  size: number;
  signed: boolean;
  vlen: boolean;
  virtual_sources?: unknown[];
}

/** The stored dtype of an HDF5 datatype, or why it cannot be read. */
export function storedDTypeOf(metadata: DatatypeMetadata, bfloat16Attribute: boolean): StoredDType | `unsupported: ${string}` {
  const { type, size, signed } = metadata;
  if (type === H5T_OPAQUE) {
    // Keras reads `dtype="bfloat16"` opaque data as bfloat16, and its backends treat any 2-byte
    // opaque (numpy void) array the same way, for files written before the attribute existed.
    return size === 2 ? 'bfloat16' : `unsupported: ${size}-byte opaque data`;
  }
  if (bfloat16Attribute) return `unsupported: marked dtype="bfloat16" but stored as HDF5 class ${type} of ${size} bytes`;
  if (type === H5T_FLOAT) {
    if (size === 4) return 'float32';
    if (size === 8) return 'float64';
    if (size === 2) return 'float16';
    return `unsupported: ${size}-byte float`;
  }
  if (type === H5T_INTEGER) {
    const names: Record<number, [StoredDType, StoredDType]> = {
      1: ['int8', 'uint8'],
      2: ['int16', 'uint16'],
      4: ['int32', 'uint32'],
      8: ['int64', 'uint64'],
    };
    const pair = names[size];
    if (pair) return signed ? pair[0] : pair[1];
    return `unsupported: ${size}-byte integer`;
  }
  return `unsupported: HDF5 datatype class ${type}`;
}

function attributeKind(metadata: DatatypeMetadata): string {
  if (metadata.type === H5T_STRING) return metadata.vlen ? 'string' : `string(${metadata.size})`;
  return String(storedDTypeOf(metadata, false));
}

function readAttributes(owner: H5Group | H5Dataset): H5AttributeInfo[] {
  return Object.entries(owner.attrs)
    .map(([name, attribute]) => ({
      name,
      value: attribute.value,
      kind: attributeKind(attribute.metadata as DatatypeMetadata),
    }))
    .sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
}

/** The string value of a dataset's `dtype` attribute, if it has one. */
export function dtypeAttribute(attributes: readonly H5AttributeInfo[]): string | undefined {
  const attribute = attributes.find((candidate) => candidate.name === 'dtype');
  return typeof attribute?.value === 'string' ? attribute.value : undefined;
}

/**
 * Lists every group and dataset below the root, depth first with names sorted (HDF5's own name
 * order), each with its attributes. Soft links, external links and virtual datasets are refused,
 * as Keras refuses them when it loads weights (spec §4.4), because they can point outside the file.
 */
export function walkH5(open: OpenH5): H5NodeInfo[] {
  // A corrupt group or dataset header fails inside h5wasm: one error naming the file.
  return guardH5(open, "cannot read the file's groups and datasets", () => walkTree(open));
}

function walkTree(open: OpenH5): H5NodeInfo[] {
  const nodes: H5NodeInfo[] = [];
  const { api } = open.runtime;
  const visit = (group: H5Group, path: string) => {
    nodes.push({ path, kind: 'group', attributes: readAttributes(group) });
    for (const name of [...group.keys()].sort()) {
      const childPath = path === '' ? name : `${path}/${name}`;
      const child = group.get(name);
      // h5wasm follows soft links transparently; get_link names the target only for them.
      if (!(child instanceof api.ExternalLink) && group.get_link(`/${childPath}`) !== null) {
        throw new CheckpointError('soft and external links are not allowed in a weights file', { file: open.label, tensor: childPath });
      }
      if (child instanceof api.Group) {
        visit(child, childPath);
      } else if (child instanceof api.Dataset) {
        const metadata = child.metadata as DatatypeMetadata & { shape: number[] | null };
        if (metadata.virtual_sources && metadata.virtual_sources.length > 0) {
          throw new CheckpointError('virtual datasets are not allowed in a weights file', { file: open.label, tensor: childPath });
        }
        const attributes = readAttributes(child);
        nodes.push({
          path: childPath,
          kind: 'dataset',
          attributes,
          shape: metadata.shape ?? [],
          dtype: storedDTypeOf(metadata, dtypeAttribute(attributes) === 'bfloat16'),
        });
      } else if (child instanceof api.BrokenSoftLink || child instanceof api.ExternalLink) {
        throw new CheckpointError('soft and external links are not allowed in a weights file', { file: open.label, tensor: childPath });
      } else {
        throw new CheckpointError('unexpected HDF5 object (not a group or dataset)', { file: open.label, tensor: childPath });
      }
    }
  };
  visit(open.file, '');
  return nodes;
}
