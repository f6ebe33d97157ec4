// A tensor: shape, dtype, and a reference to data owned by a backend. Immutable; ops make new ones.
import type { Backend, DataId } from './backend.js';
import { decodeToCompute, type DType, type StorageValues, type TypedArray } from './dtype.js';
import { TensorzooError } from './errors.js';
import { formatShape, sizeOf, type Shape } from './shape.js';

/** Data shared by tensors that view the same buffer (reshape); freed when the last one is. */
export interface DataRecord {
  backend: Backend;
  dataId: DataId;
  refCount: number;
}

interface TensorOwner {
  releaseTensor(tensor: Tensor): void;
}

export type NestedArray = number | boolean | NestedArray[];

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  readonly id: number;
  /** Set by `keep()`: survives the `tidy` scope it was created in. */
  kept = false;
  private disposed = false;

  constructor(
    readonly record: DataRecord,
    shape: Shape,
    dtype: DType,
    id: number,
    private readonly owner: TensorOwner,
  ) {
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.id = id;
  }

  get rank(): number {
    return this.shape.length;
  }

  get dataId(): DataId {
    return this.record.dataId;
  }

  get backendName(): string {
    return this.record.backend.name;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  throwIfDisposed(op: string): void {
    if (this.disposed)
      throw new TensorzooError(`${op}: a tensor of shape ${formatShape(this.shape)} (id ${this.id}) was used after dispose()`);
  }

  /** Values in compute form: Float32Array (float32, bfloat16, float16), Int32Array, Int8Array (int8) or Uint8Array (bool). */
  async data(): Promise<TypedArray> {
    this.throwIfDisposed('data');
    return decodeToCompute(await this.record.backend.read(this.record.dataId), this.dtype);
  }

  dataSync(): TypedArray {
    this.throwIfDisposed('dataSync');
    return decodeToCompute(this.record.backend.readSync(this.record.dataId), this.dtype);
  }

  /** The stored values as they are (bfloat16/float16 as Uint16Array bits, int8 as its Int8Array). */
  rawDataSync(): StorageValues {
    this.throwIfDisposed('rawDataSync');
    return this.record.backend.readSync(this.record.dataId);
  }

  arraySync(): NestedArray {
    const values = this.dataSync();
    const convert = this.dtype === 'bool' ? (value: number) => value !== 0 : (value: number) => value;
    if (this.rank === 0) return convert(values[0]!);
    let offset = 0;
    const build = (axis: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let index = 0; index < this.shape[axis]!; index++)
        out.push(axis === this.rank - 1 ? convert(values[offset++]!) : build(axis + 1));
      return out;
    };
    return build(0);
  }

  async array(): Promise<NestedArray> {
    await this.data();
    return this.arraySync();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.releaseTensor(this);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }
}
