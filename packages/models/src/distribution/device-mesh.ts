// DeviceMesh and listDevices: the device side of Keras 3's distribution API
// (keras/src/distribution/distribution_lib.py, spec gemma.md §5.1), in camelCase.
//
// A mesh describes how variables are laid out across devices, validated exactly as Keras validates
// it. A ModelParallel distribution on a [1, N] mesh is executed by N wasm shard workers
// (src/parallel/); the device names are labels there (e.g. "wasm:0").
import { TensorzooError, argumentError } from '@tensorzoo/core';

/** A device name in Keras' "<platform>:<index>" form, e.g. "cpu:0" or "gpu:3". */
export type DeviceName = string;

/** Devices reshaped to a mesh's shape, row-major: nested arrays whose leaves are device names. */
export type DeviceArray = readonly (DeviceName | DeviceArray)[];

const devicePattern = /^[a-z][a-z0-9_]*:\d+$/;

/**
 * The devices this process can place tensors on, as Keras' `list_devices(device_type)` does.
 * tensorzoo's backends all run in this process on the CPU, so the list is `["cpu:0"]`; asking
 * for another device type is answered with an empty list, as Keras answers for a platform that
 * is absent.
 */
export function listDevices(deviceType?: string): DeviceName[] {
  if (deviceType !== undefined && typeof deviceType !== 'string')
    argumentError('listDevices', 'deviceType', 'a device type string such as "cpu" or "gpu"', deviceType);
  const type = deviceType?.toLowerCase() ?? 'cpu';
  return type === 'cpu' ? ['cpu:0'] : [];
}

function reshapeDevices(devices: readonly DeviceName[], shape: readonly number[]): DeviceArray {
  if (shape.length === 1) return [...devices];
  const [outer, ...inner] = shape as [number, ...number[]];
  const blockSize = devices.length / outer;
  return Array.from({ length: outer }, (_, index) =>
    reshapeDevices(devices.slice(index * blockSize, (index + 1) * blockSize), inner),
  );
}

/**
 * A logical grid of devices with one name per axis, e.g. shape [2, 4] with axis names
 * ['batch', 'model']. `devices` defaults to `listDevices()`, as in Keras; its length must equal
 * the product of `shape` (so a mesh larger than this machine needs its device names spelled out).
 */
export class DeviceMesh {
  readonly shape: readonly number[];
  readonly axisNames: readonly string[];
  /** The devices reshaped to `shape`, row-major (Keras stores them as an ndarray). */
  readonly devices: DeviceArray;
  /** The devices in row-major order, as given. */
  readonly deviceList: readonly DeviceName[];

  constructor(shape: readonly number[], axisNames: readonly string[], devices?: readonly DeviceName[]) {
    const op = 'DeviceMesh';
    if (!Array.isArray(shape) || shape.length === 0)
      argumentError(op, 'shape', 'a non-empty array of positive integers', shape);
    for (const size of shape)
      if (!Number.isInteger(size) || size < 1)
        argumentError(op, 'shape', 'a non-empty array of positive integers', shape);
    if (!Array.isArray(axisNames) || axisNames.length === 0)
      argumentError(op, 'axisNames', 'a non-empty array of axis names', axisNames);
    for (const name of axisNames)
      if (typeof name !== 'string' || name.length === 0)
        argumentError(op, 'axisNames', 'non-empty strings', axisNames);
    if (new Set(axisNames).size !== axisNames.length)
      argumentError(op, 'axisNames', 'distinct axis names', axisNames);
    if (axisNames.length !== shape.length)
      argumentError(
        op,
        'axisNames',
        `one name per mesh dimension (${shape.length} for shape [${shape.join(', ')}])`,
        `${axisNames.length} names ${JSON.stringify(axisNames)}`,
      );

    const deviceList = devices === undefined ? listDevices() : devices;
    if (!Array.isArray(deviceList))
      argumentError(op, 'devices', 'an array of device names such as "gpu:0"', deviceList);
    for (const device of deviceList)
      if (typeof device !== 'string' || !devicePattern.test(device))
        argumentError(op, 'devices', 'device names of the form "<platform>:<index>", e.g. "gpu:0"', device);
    if (new Set(deviceList).size !== deviceList.length)
      argumentError(op, 'devices', 'distinct device names', deviceList);
    const meshSize = shape.reduce((product, size) => product * size, 1);
    if (deviceList.length !== meshSize) {
      const source = devices === undefined ? ' (the default, listDevices())' : '';
      throw new TensorzooError(
        `${op}: shape [${shape.join(', ')}] needs ${meshSize} devices, but 'devices'${source} has ` +
          `${deviceList.length}: ${JSON.stringify(deviceList)}`,
      );
    }

    this.shape = Object.freeze([...shape]);
    this.axisNames = Object.freeze([...axisNames]);
    this.deviceList = Object.freeze([...deviceList]);
    this.devices = reshapeDevices(this.deviceList, this.shape);
  }

  /** The size of the mesh along the named axis; an unknown name is an error naming it. */
  axisSize(axisName: string): number {
    const index = this.axisNames.indexOf(axisName);
    if (index < 0)
      argumentError(
        'DeviceMesh.axisSize',
        'axisName',
        `one of the mesh's axis names ${JSON.stringify(this.axisNames)}`,
        JSON.stringify(axisName),
      );
    return this.shape[index]!;
  }

  toString(): string {
    const axes = this.axisNames.map((name, index) => `${name}=${this.shape[index]}`).join(', ');
    return `DeviceMesh(${axes}; ${this.deviceList.length} devices)`;
  }
}
