// The contract every backend implements: storage only. Kernels live in the kernel registry,
// keyed by (kernel name, backend name), so a backend grows one kernel at a time.
import type { DType, StorageValues } from './dtype.js';
import type { Shape } from './shape.js';

/** Opaque handle to data owned by one backend. */
export interface DataId {
  readonly backendName: string;
}

export interface TensorInfo {
  readonly dataId: DataId;
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface Backend {
  readonly specificationVersion: 'v1';
  readonly name: string;
  /** Copies `values` into backend memory. bfloat16/float16 values are Uint16Array bits. */
  write(values: StorageValues, shape: Shape, dtype: DType): DataId;
  read(dataId: DataId): Promise<StorageValues>;
  /** May throw on backends that cannot read synchronously. */
  readSync(dataId: DataId): StorageValues;
  disposeData(dataId: DataId): void;
  /** Live data buffers, used by the leak check. */
  numDataIds(): number;
  dispose(): void;
}

export interface BackendFactory {
  readonly name: string;
  /** Higher wins when no backend was chosen explicitly. */
  readonly priority: number;
  create(): Promise<Backend> | Backend;
}
