// TensorLayout: how one tensor's dimensions map onto a DeviceMesh's axes (Keras 3
// `keras.distribution.TensorLayout`, spec gemma.md §5.1). Each entry of `axes` is a mesh axis
// name (that dimension is split across the axis) or null (replicated along that dimension).
import { TensorzooError, argumentError } from '@tensorzoo/core';
import { DeviceMesh } from './device-mesh.js';

/** One entry per tensor dimension: a mesh axis name, or null for "replicated". */
export type LayoutAxes = readonly (string | null)[];

function checkAxes(op: string, axes: unknown): LayoutAxes {
  if (!Array.isArray(axes))
    argumentError(op, 'axes', 'an array with one mesh axis name or null per tensor dimension', axes);
  for (const axis of axes)
    if (axis !== null && (typeof axis !== 'string' || axis.length === 0))
      argumentError(op, 'axes', 'entries that are mesh axis names (non-empty strings) or null', axes);
  // Keras leaves this to JAX, whose PartitionSpec rejects a mesh axis used for two dimensions;
  // reporting it here names the layout instead of failing later inside a backend.
  const named = axes.filter((axis): axis is string => axis !== null);
  if (new Set(named).size !== named.length)
    argumentError(op, 'axes', 'each mesh axis used for at most one dimension', axes);
  return Object.freeze([...(axes as (string | null)[])]);
}

function checkAxesInMesh(op: string, axes: LayoutAxes, deviceMesh: DeviceMesh): void {
  for (const axis of axes)
    if (axis !== null && !deviceMesh.axisNames.includes(axis))
      throw new TensorzooError(
        `${op}: axis ${JSON.stringify(axis)} in axes ${JSON.stringify(axes)} is not an axis of the device mesh; ` +
          `expected one of ${JSON.stringify(deviceMesh.axisNames)} or null`,
      );
}

export class TensorLayout {
  readonly axes: LayoutAxes;
  #deviceMesh: DeviceMesh | undefined;

  constructor(axes: LayoutAxes, deviceMesh?: DeviceMesh) {
    this.axes = checkAxes('TensorLayout', axes);
    if (deviceMesh !== undefined) this.deviceMesh = deviceMesh;
  }

  /** The mesh this layout refers to; undefined until attached (a LayoutMap attaches its own). */
  get deviceMesh(): DeviceMesh | undefined {
    return this.#deviceMesh;
  }

  /** Attaches a mesh once, checking every axis name against it; a second attach is an error, as in Keras. */
  set deviceMesh(deviceMesh: DeviceMesh) {
    const op = 'TensorLayout.deviceMesh';
    if (!(deviceMesh instanceof DeviceMesh)) argumentError(op, 'deviceMesh', 'a DeviceMesh', deviceMesh);
    if (this.#deviceMesh !== undefined)
      throw new TensorzooError(
        `${op}: this layout already has a device mesh (${this.#deviceMesh}); a layout's mesh can be set only once`,
      );
    checkAxesInMesh(op, this.axes, deviceMesh);
    this.#deviceMesh = deviceMesh;
  }

  toString(): string {
    return `TensorLayout(${JSON.stringify(this.axes)})`;
  }
}
