// DataParallel and ModelParallel: Keras 3's distribution strategies (keras/src/distribution/
// distribution_lib.py, spec gemma.md §5.3) as descriptions of where variables, inputs and
// intermediate tensors go. tensorzoo runs in one process, so Keras' multi-process checks reduce to
// numProcesses = 1. A ModelParallel is executed by wasm shard workers (src/parallel/), which ask
// it getVariableLayout for every variable; DataParallel is not executed.
import { TensorzooError, argumentError } from '@tensorzoo/core';
import { DeviceMesh, listDevices, type DeviceName } from './device-mesh.js';
import { LayoutMap } from './layout-map.js';
import { TensorLayout } from './tensor-layout.js';

/** What a strategy needs to know about a variable: Keras' `variable.path`, its shape, its own layout. */
export interface VariableDescription {
  readonly path: string;
  readonly shape: readonly number[];
  /** A layout assigned to the variable itself; it wins over every rule (Keras' `variable._layout`). */
  readonly layout?: TensorLayout;
}

/** Keras' DEFAULT_BATCH_DIM_NAME. */
export const defaultBatchDimName = 'batch';

function checkShape(op: string, argument: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size) && size >= 0))
    argumentError(op, argument, 'an array of non-negative integers', shape);
  return shape as readonly number[];
}

function checkVariable(op: string, variable: VariableDescription): void {
  if (typeof variable !== 'object' || variable === null || typeof variable.path !== 'string')
    argumentError(op, 'variable', 'an object with a string `path` and a `shape` array', variable);
  checkShape(op, 'variable.shape', variable.shape);
}

/** Layout for a batch-first input: dimension 0 on the batch axis, the rest replicated. */
function dataLayout(op: string, shape: readonly number[], batchDimName: string, deviceMesh: DeviceMesh): TensorLayout {
  checkShape(op, 'dataShape', shape);
  if (shape.length === 0) argumentError(op, 'dataShape', 'a shape of rank 1 or more (dimension 0 is the batch)', shape);
  return new TensorLayout([batchDimName, ...new Array<null>(shape.length - 1).fill(null)], deviceMesh);
}

function replicated(rank: number, deviceMesh: DeviceMesh): TensorLayout {
  return new TensorLayout(new Array<null>(rank).fill(null), deviceMesh);
}

/** A variable's own layout must describe every one of its dimensions. */
function checkRank(op: string, variable: VariableDescription, layout: TensorLayout, origin: string): TensorLayout {
  if (layout.axes.length !== variable.shape.length)
    throw new TensorzooError(
      `${op}: ${origin} for variable ${JSON.stringify(variable.path)} has ${layout.axes.length} axes ` +
        `${JSON.stringify(layout.axes)}, but the variable has shape [${variable.shape.join(', ')}] (rank ${variable.shape.length})`,
    );
  return layout;
}

export interface DataParallelOptions {
  /** A mesh whose first axis is the batch axis (Keras warns unless it is 1-D). */
  readonly deviceMesh?: DeviceMesh;
  /** Devices for a 1-D mesh named "batch", when no mesh is given; default listDevices(). */
  readonly devices?: readonly DeviceName[];
}

/** Replicates every variable and splits inputs along the batch over all devices. */
export class DataParallel {
  readonly deviceMesh: DeviceMesh;
  readonly batchDimName: string;

  constructor(options: DataParallelOptions = {}) {
    if (options.deviceMesh !== undefined) {
      if (!(options.deviceMesh instanceof DeviceMesh))
        argumentError('DataParallel', 'options.deviceMesh', 'a DeviceMesh', options.deviceMesh);
      this.deviceMesh = options.deviceMesh;
      this.batchDimName = options.deviceMesh.axisNames[0]!;
    } else {
      const devices = options.devices !== undefined && options.devices.length > 0 ? options.devices : listDevices();
      this.deviceMesh = new DeviceMesh([devices.length], [defaultBatchDimName], devices);
      this.batchDimName = defaultBatchDimName;
    }
  }

  /** Every device holds a whole replica: the device count. */
  get numModelReplicas(): number {
    return this.deviceMesh.deviceList.length;
  }

  getDataLayout(dataShape: readonly number[]): TensorLayout {
    return dataLayout('DataParallel.getDataLayout', dataShape, this.batchDimName, this.deviceMesh);
  }

  getVariableLayout(variable: VariableDescription): TensorLayout {
    checkVariable('DataParallel.getVariableLayout', variable);
    if (variable.layout !== undefined) return checkRank('DataParallel.getVariableLayout', variable, variable.layout, "the variable's own layout");
    return replicated(variable.shape.length, this.deviceMesh);
  }

  /** Data parallelism leaves intermediate tensors alone. */
  getTensorLayout(_path: string): TensorLayout | undefined {
    return undefined;
  }
}

export interface ModelParallelOptions {
  readonly layoutMap: LayoutMap;
  /** The mesh axis that splits the batch; default the mesh's first axis name. */
  readonly batchDimName?: string;
}

/** Splits variables as a LayoutMap says and inputs along the batch axis. */
export class ModelParallel {
  readonly layoutMap: LayoutMap;
  readonly deviceMesh: DeviceMesh;
  readonly batchDimName: string;

  constructor(options: ModelParallelOptions) {
    const op = 'ModelParallel';
    if (typeof options !== 'object' || options === null || options.layoutMap === undefined)
      argumentError(op, 'options.layoutMap', 'a LayoutMap (you must specify a layout map)', options?.layoutMap);
    if (!(options.layoutMap instanceof LayoutMap)) argumentError(op, 'options.layoutMap', 'a LayoutMap', options.layoutMap);
    this.layoutMap = options.layoutMap;
    this.deviceMesh = options.layoutMap.deviceMesh;
    const batchDimName = options.batchDimName ?? this.deviceMesh.axisNames[0]!;
    // Keras finds out only when it counts replicas; an unknown name is reported here, naming it.
    if (!this.deviceMesh.axisNames.includes(batchDimName))
      throw new TensorzooError(
        `${op}: batchDimName ${JSON.stringify(batchDimName)} is not an axis of the layout map's device mesh; ` +
          `the mesh's axes are ${JSON.stringify(this.deviceMesh.axisNames)}`,
      );
    this.batchDimName = batchDimName;
  }

  /** The size of the batch axis: each slice along it holds one (sharded) replica. */
  get numModelReplicas(): number {
    return this.deviceMesh.axisSize(this.batchDimName);
  }

  getDataLayout(dataShape: readonly number[]): TensorLayout {
    return dataLayout('ModelParallel.getDataLayout', dataShape, this.batchDimName, this.deviceMesh);
  }

  /** The variable's own layout, else the layout map's, else fully replicated. */
  getVariableLayout(variable: VariableDescription): TensorLayout {
    const op = 'ModelParallel.getVariableLayout';
    checkVariable(op, variable);
    if (variable.layout !== undefined) return checkRank(op, variable, variable.layout, "the variable's own layout");
    const mapped = this.layoutMap.get(variable.path);
    if (mapped !== undefined) return checkRank(op, variable, mapped, 'the layout map entry');
    return replicated(variable.shape.length, this.deviceMesh);
  }

  /** Intermediate tensors follow the layout map (undefined: left to the backend). */
  getTensorLayout(path: string): TensorLayout | undefined {
    return this.layoutMap.get(path);
  }
}
