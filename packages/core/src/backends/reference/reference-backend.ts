// The reference backend: plain TypeScript over typed arrays. Simple and obviously correct; every
// fast backend is tested against it.
import type { Backend, DataId } from '../../backend.js';
import { allocate, type DType, type StorageValues } from '../../dtype.js';
import type { Shape } from '../../shape.js';
import { sizeOf } from '../../shape.js';
import { TensorzooError } from '../../errors.js';

export interface ReferenceDataId extends DataId {
  readonly values: StorageValues;
}

export class ReferenceBackend implements Backend {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'reference';
  private live = new Set<DataId>();

  write(values: StorageValues, shape: Shape, dtype: DType): DataId {
    const expected = allocate(dtype, 0).constructor;
    if (values.constructor !== expected || values.length !== sizeOf(shape))
      throw new TensorzooError(
        `reference backend write: argument 'values' expected ${sizeOf(shape)} values in a ${expected.name} for ${dtype}, received ${values.length} in a ${values.constructor.name}`,
      );
    const copy = values.slice() as StorageValues;
    return this.adopt(copy);
  }

  /** Wraps a freshly computed array without copying. */
  adopt(values: StorageValues): ReferenceDataId {
    const dataId: ReferenceDataId = { backendName: this.name, values };
    this.live.add(dataId);
    return dataId;
  }

  values(dataId: DataId): StorageValues {
    if (!this.live.has(dataId)) throw new TensorzooError('reference backend: data was disposed or belongs to another backend');
    return (dataId as ReferenceDataId).values;
  }

  async read(dataId: DataId): Promise<StorageValues> {
    return this.readSync(dataId);
  }

  readSync(dataId: DataId): StorageValues {
    return this.values(dataId).slice() as StorageValues;
  }

  disposeData(dataId: DataId): void {
    this.live.delete(dataId);
  }

  numDataIds(): number {
    return this.live.size;
  }

  dispose(): void {
    this.live.clear();
  }
}
