// LayoutMap: variable path → TensorLayout, with Keras 3's lookup rule (spec gemma.md §5.2):
//   1. a key equal to the path wins at once;
//   2. otherwise every key is a regular expression that must match the WHOLE path (Python's
//      re.fullmatch, not re.search);
//   3. two or more matching keys is an error; one gives its layout; none gives undefined (Keras
//      returns None, and the variable is then replicated).
// Insertion order never decides a lookup.
import { TensorzooError, argumentError } from '@tensorzoo/core';
import { DeviceMesh } from './device-mesh.js';
import { TensorLayout, type LayoutAxes } from './tensor-layout.js';

interface Entry {
  readonly layout: TensorLayout;
  readonly fullMatch: RegExp;
}

function compileFullMatch(key: string): RegExp {
  try {
    // `^(?:…)$` without the multiline flag is re.fullmatch: the group keeps alternations inside
    // the anchors, and `$` without /m matches only at the very end of the string.
    return new RegExp(`^(?:${key})$`);
  } catch (error) {
    return argumentError(
      'LayoutMap.set',
      'key',
      'a valid regular expression',
      `${JSON.stringify(key)} (${(error as Error).message})`,
    );
  }
}

export class LayoutMap implements Iterable<[string, TensorLayout]> {
  readonly deviceMesh: DeviceMesh;
  readonly #entries = new Map<string, Entry>();

  constructor(deviceMesh: DeviceMesh) {
    if (!(deviceMesh instanceof DeviceMesh)) argumentError('LayoutMap', 'deviceMesh', 'a DeviceMesh', deviceMesh);
    this.deviceMesh = deviceMesh;
  }

  /**
   * Stores `layout` under `key` (a variable path or a regular expression over paths). An array of
   * axes becomes a TensorLayout (Keras converts a tuple the same way); a layout without a mesh gets
   * this map's mesh. A key that is already present is an error, as in Keras.
   */
  set(key: string, layout: TensorLayout | LayoutAxes): this {
    const op = 'LayoutMap.set';
    if (typeof key !== 'string' || key.length === 0)
      argumentError(op, 'key', 'a non-empty variable path or regular expression', key);
    if (this.#entries.has(key))
      throw new TensorzooError(
        `${op}: key ${JSON.stringify(key)} already has a layout (${this.#entries.get(key)!.layout}); ` +
          `delete it first to replace it`,
      );
    let tensorLayout: TensorLayout;
    if (layout instanceof TensorLayout) tensorLayout = layout;
    else if (Array.isArray(layout)) tensorLayout = new TensorLayout(layout);
    else return argumentError(op, 'layout', 'a TensorLayout or an array of axes (mesh axis names or null)', layout);
    const fullMatch = compileFullMatch(key);
    if (tensorLayout.deviceMesh === undefined) tensorLayout.deviceMesh = this.deviceMesh;
    else if (tensorLayout.deviceMesh !== this.deviceMesh)
      throw new TensorzooError(
        `${op}: the layout for ${JSON.stringify(key)} is bound to ${tensorLayout.deviceMesh}, ` +
          `not to this map's ${this.deviceMesh}`,
      );
    this.#entries.set(key, { layout: tensorLayout, fullMatch });
    return this;
  }

  /** The layout for a variable path by the rule above, or undefined when no key applies. */
  get(path: string): TensorLayout | undefined {
    if (typeof path !== 'string') argumentError('LayoutMap.get', 'path', 'a variable path string', path);
    const exact = this.#entries.get(path);
    if (exact !== undefined) return exact.layout;
    const matchingKeys: string[] = [];
    for (const [key, entry] of this.#entries) if (entry.fullMatch.test(path)) matchingKeys.push(key);
    if (matchingKeys.length > 1)
      throw new TensorzooError(
        `LayoutMap.get: path ${JSON.stringify(path)} matches more than one layout key: ` +
          `${matchingKeys.map((key) => JSON.stringify(key)).join(', ')}; make the keys mutually exclusive`,
      );
    return matchingKeys.length === 1 ? this.#entries.get(matchingKeys[0]!)!.layout : undefined;
  }

  /** Whether `key` is stored as a key (not whether some key would match it as a path). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  *entries(): IterableIterator<[string, TensorLayout]> {
    for (const [key, entry] of this.#entries) yield [key, entry.layout];
  }

  [Symbol.iterator](): IterableIterator<[string, TensorLayout]> {
    return this.entries();
  }
}
