// The gpujs backend's storage. A tensor's data lives on the host (a typed array: what was written,
// or what was read back), on the device (a GPU.js pipeline result: a texture in the GL modes, a
// storage-buffer handle in webgpu), or both. Kernels chain device results into each other without
// reading them back. In the GL modes a read brings the values to the host once and keeps them
// there (host kernels and engine moves read synchronously); in webgpu each `read` maps the buffer
// and hands that copy to the caller.
//
// GL modes are synchronous: a kernel call returns its texture at once. In webgpu every kernel call
// returns a Promise, so a device value there is a Promise of the buffer handle; kernels chain on
// those promises in call order (the queue runs submits in order) and only `read` awaits.
import type { Backend, DataId } from '../../backend.js';
import { allocate, type DType, type StorageValues } from '../../dtype.js';
import { TensorzooError } from '../../errors.js';
import { sizeOf, type Shape } from '../../shape.js';
import { flavorOf, type GpujsFlavor, type GpujsMode, type GpuInstance, type GpuJsModule, type GpuKernel } from './modes.js';
import { WebGpuTransfers, type WebGpuContext } from './webgpu-transfers.js';

/** A GPU.js pipeline result: GL texture or WebGPU buffer handle (both have toArray/delete). */
export interface DeviceResult {
  toArray(): unknown;
  delete(): void;
  output?: number[];
  context?: {
    finish?: () => void;
    getParameter?: (name: number) => unknown;
    getExtension?: (name: string) => Record<string, number> | null;
    device?: WebGpuContext['device'];
    adapter?: { info?: Record<string, string> };
  };
  buffer?: unknown;
}

export interface GpujsDataId extends DataId {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  /** Host copy (what was written, or what was read back). */
  host: StorageValues | null;
  /** Device copy: a result (GL), a promised result (webgpu), or a Float32Array (cpu/webasm). */
  device: DeviceResult | Promise<DeviceResult> | Float32Array | null;
  /** The GPU.js output dims the device copy was produced with. */
  dims: number[] | null;
  /** webgpu: settles once every kernel that reads this data has been submitted (it is freed after). */
  lastUse: Promise<unknown> | null;
}

/** A GPU.js kernel to run: its source (a `function kernel(...)` string) and output dims. */
export interface Program {
  readonly name: string;
  readonly source: string;
  readonly output: number[];
}

export interface GpujsBackendStats {
  kernelsCompiled: number;
  deviceRuns: number;
  hostRuns: number;
  uploads: number;
  readbacks: number;
}

export class GpujsBackend implements Backend {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'gpujs';
  readonly flavor: GpujsFlavor;
  readonly stats: GpujsBackendStats = { kernelsCompiled: 0, deviceRuns: 0, hostRuns: 0, uploads: 0, readbacks: 0 };
  private live = new Set<GpujsDataId>();
  private kernels = new Map<string, GpuKernel>();
  /** webgpu: direct buffer uploads and readbacks, once the device context is known. */
  private transfers: WebGpuTransfers | null = null;

  constructor(
    readonly mode: GpujsMode,
    private readonly gpu: GpuInstance,
    private readonly module: GpuJsModule,
  ) {
    this.flavor = flavorOf(mode);
  }

  // === Storage ===

  write(values: StorageValues, shape: Shape, dtype: DType): DataId {
    const expected = allocate(dtype, 0).constructor;
    if (values.constructor !== expected || values.length !== sizeOf(shape))
      throw new TensorzooError(
        `gpujs backend write: argument 'values' expected ${sizeOf(shape)} values in a ${expected.name} for ${dtype}, received ${values.length} in a ${values.constructor.name}`,
      );
    return this.adoptHost(values.slice() as StorageValues, shape, dtype);
  }

  /** Wraps a freshly computed host array without copying. */
  adoptHost(values: StorageValues, shape: Shape, dtype: DType): GpujsDataId {
    const dataId: GpujsDataId = { backendName: this.name, shape: [...shape], dtype, size: sizeOf(shape), host: values, device: null, dims: null, lastUse: null };
    this.live.add(dataId);
    return dataId;
  }

  dataOf(dataId: DataId): GpujsDataId {
    if (!this.live.has(dataId as GpujsDataId)) throw new TensorzooError('gpujs backend: data was disposed or belongs to another backend');
    return dataId as GpujsDataId;
  }

  async read(dataId: DataId): Promise<StorageValues> {
    const data = this.dataOf(dataId);
    if (!data.host) {
      this.stats.readbacks++;
      const device = await data.device;
      if (!this.live.has(data)) throw new TensorzooError('gpujs backend: data was disposed while it was being read');
      if (this.transfers && device && !(device instanceof Float32Array) && device.buffer) {
        // webgpu: the mapped copy goes to the caller as it is (no second copy for a host cache;
        // webgpu data is read only this way, so a later read transfers again).
        return this.fromDevice(await this.transfers.read(device.buffer, data.size), data.dtype);
      }
      const values = device instanceof Float32Array ? device : flatten(await (device as DeviceResult).toArray(), data.size);
      data.host = this.fromDevice(values, data.dtype);
    }
    return data.host.slice() as StorageValues;
  }

  readSync(dataId: DataId): StorageValues {
    return this.hostValues(dataId).slice() as StorageValues;
  }

  /** The values on the host, read back (once) if they are only on the device. */
  hostValues(dataId: DataId): StorageValues {
    const data = this.dataOf(dataId);
    if (!data.host) {
      if (data.device instanceof Promise)
        throw new TensorzooError(
          "gpujs backend (mode 'webgpu'): this value is on the GPU and WebGPU reads back only asynchronously; use `await tensor.data()` (a synchronous read, or a kernel this backend runs on the host, needs a GL mode)",
        );
      const device = data.device!;
      this.stats.readbacks++;
      data.host = this.fromDevice(device instanceof Float32Array ? device : flatten((device as DeviceResult).toArray(), data.size), data.dtype);
    }
    return data.host;
  }

  disposeData(dataId: DataId): void {
    const data = dataId as GpujsDataId;
    if (!this.live.delete(data)) return;
    releaseDevice(data.device, data.lastUse);
    data.lastUse = null;
    data.device = null;
    data.host = null;
  }

  numDataIds(): number {
    return this.live.size;
  }

  dispose(): void {
    for (const data of this.live) releaseDevice(data.device, data.lastUse);
    this.live.clear();
    for (const kernel of this.kernels.values()) kernel.destroy();
    this.kernels.clear();
    void this.gpu.destroy();
  }

  private fromDevice(values: Float32Array, dtype: DType): StorageValues {
    if (dtype === 'float32') return values;
    const out = allocate(dtype, values.length);
    if (dtype === 'bool') for (let index = 0; index < values.length; index++) out[index] = values[index] !== 0 ? 1 : 0;
    else for (let index = 0; index < values.length; index++) out[index] = Math.round(values[index]!);
    return out;
  }

  // === Device ===

  /** True when the values are on the device already (so a device kernel needs no upload). */
  isOnDevice(dataId: DataId): boolean {
    return this.dataOf(dataId).device !== null;
  }

  /** The kernel argument for `dataId`: its device copy, uploaded first if it has none. */
  argumentOf(dataId: DataId): DeviceResult | Promise<DeviceResult> | Float32Array {
    const data = this.dataOf(dataId);
    if (data.device) return data.device;
    const host = data.host!;
    const floats = host instanceof Float32Array ? host : Float32Array.from(host);
    if (this.flavor === 'host') {
      data.device = floats;
      data.dims = [data.size];
      return floats;
    }
    this.stats.uploads++;
    if (this.transfers) {
      data.device = Promise.resolve(this.transfers.upload(floats) as DeviceResult);
      data.dims = [data.size];
      return data.device;
    }
    const upload = this.kernel({ name: 'upload', source: 'function kernel(values) { return values[this.thread.x]; }', output: [data.size] }, ['host']);
    data.device = this.call(upload, [floats]);
    data.dims = [data.size];
    return data.device;
  }

  /** Runs `program` over the device copies of `inputs`; the result stays on the device. */
  run(program: Program, inputs: readonly DataId[], shape: Shape, dtype: DType): GpujsDataId {
    const size = sizeOf(shape);
    if (size === 0) return this.adoptHost(allocate(dtype, 0), shape, dtype);
    const args = inputs.map((input) => this.argumentOf(input));
    const signature = inputs.map((input) => this.dataOf(input).dims!.join('x')).join(',');
    const kernel = this.kernel(program, [signature]);
    this.stats.deviceRuns++;
    const dataId: GpujsDataId = { backendName: this.name, shape: [...shape], dtype, size, host: null, device: null, dims: [...program.output], lastUse: null };
    if (this.flavor === 'host') {
      const result = kernel(...args) as Float32Array | Float32Array[] | Float32Array[][];
      dataId.host = this.fromDevice(flatten(result, size), dtype);
    } else {
      const device = this.call(kernel, args);
      dataId.device = device;
      // An input disposed before this kernel is submitted (a temporary of a tidy scope) must
      // outlive that submission: its release waits for every kernel that reads it.
      if (device instanceof Promise)
        for (const input of inputs) {
          const data = this.dataOf(input);
          const use: Promise<unknown> = data.lastUse ? Promise.allSettled([data.lastUse, device]) : device.catch(() => undefined);
          data.lastUse = use;
          void use.then(() => {
            if (data.lastUse === use) data.lastUse = null;
          });
        }
    }
    this.live.add(dataId);
    return dataId;
  }

  /**
   * webgpu: a result computed with `Array(n)` returns holds n floats per output cell; this views
   * its buffer as the flat float array of the data's shape (no copy: the same buffer).
   */
  flattenComponents(dataId: DataId): void {
    const data = this.dataOf(dataId);
    const Handle = this.module.WebGPUBufferResult;
    if (!(data.device instanceof Promise) || !Handle) throw new TensorzooError('gpujs backend: flattenComponents needs a webgpu result');
    data.device = data.device.then((handle) => {
      const flat = new Handle({ buffer: handle.buffer, output: [data.size], componentCount: 1, context: handle.context, kernel: null }) as DeviceResult;
      handle.delete();
      return flat;
    });
    data.dims = [data.size];
  }

  private call(kernel: GpuKernel, args: unknown[]): DeviceResult | Promise<DeviceResult> {
    if (this.flavor !== 'webgpu') return kernel(...args) as DeviceResult;
    const pending = args.some((arg) => arg instanceof Promise);
    const result = pending
      ? Promise.all(args).then((resolved) => kernel(...resolved) as Promise<DeviceResult>)
      : (kernel(...args) as Promise<DeviceResult>);
    // A failure surfaces when the value is read; keep it from being reported as unhandled meanwhile.
    result.then(
      (handle) => {
        if (!this.transfers && handle.context?.device && this.module.WebGPUBufferResult)
          this.transfers = new WebGpuTransfers(handle.context as WebGpuContext, this.module.WebGPUBufferResult);
      },
      () => undefined,
    );
    return result;
  }

  private kernel(program: Program, signature: readonly string[]): GpuKernel {
    const key = `${program.source}\n${program.output.join('x')}\n${signature.join(';')}`;
    let kernel = this.kernels.get(key);
    if (!kernel) {
      kernel = this.gpu.createKernel(program.source, {
        output: program.output,
        pipeline: this.flavor !== 'host',
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        dynamicArguments: program.name === 'upload',
        dynamicOutput: false,
      });
      this.kernels.set(key, kernel);
      this.stats.kernelsCompiled++;
    }
    return kernel;
  }

  /** The GPU (or CPU) the mode runs on, as its API names it: GL's renderer string, WebGPU's adapter info. */
  async describeDevice(): Promise<string> {
    if (this.flavor === 'host') return `${this.mode} (GPU.js on the CPU)`;
    const probe = this.adoptHost(new Float32Array([1]), [1], 'float32');
    try {
      const device = (await this.argumentOf(probe)) as DeviceResult;
      const context = device.context;
      if (context?.adapter) {
        const info = context.adapter.info ?? {};
        return ['vendor', 'architecture', 'device', 'description'].map((key) => info[key]).filter(Boolean).join(' / ') || 'unnamed WebGPU adapter';
      }
      const debug = context?.getExtension?.('WEBGL_debug_renderer_info');
      const renderer = context?.getParameter?.(debug ? debug.UNMASKED_RENDERER_WEBGL! : 0x1f01);
      const version = context?.getParameter?.(0x1f02);
      return `${String(renderer)} (${String(version)})`;
    } finally {
      this.disposeData(probe);
    }
  }

  /** Resolves once every kernel that produced `dataId` has finished on the device (for timing). */
  async synchronize(dataId: DataId): Promise<void> {
    const device = await this.dataOf(dataId).device;
    if (!device || device instanceof Float32Array) return;
    const context = device.context;
    if (context?.device) await context.device.queue.onSubmittedWorkDone();
    else if (context?.finish) context.finish();
  }
}

function releaseDevice(device: GpujsDataId['device'], lastUse: Promise<unknown> | null): void {
  if (!device || device instanceof Float32Array) return;
  if (device instanceof Promise) {
    const settled = lastUse ? Promise.allSettled([device, lastUse]) : device;
    settled.then(() => device.then((result) => result.delete()), () => undefined).catch(() => undefined);
  } else device.delete();
}

/** GPU.js returns 2D/3D results as nested arrays of Float32Array rows; this lays them out flat. */
export function flatten(result: unknown, size: number): Float32Array {
  if (result instanceof Float32Array) return result.length === size ? result : result.slice(0, size);
  const out = new Float32Array(size);
  let position = 0;
  const visit = (value: unknown): void => {
    if (value instanceof Float32Array) {
      out.set(value.subarray(0, Math.min(value.length, size - position)), position);
      position += value.length;
    } else if (Array.isArray(value)) for (const item of value) visit(item);
    else if (typeof value === 'number') out[position++] = value;
  };
  visit(result);
  if (position !== size) throw new TensorzooError(`gpujs backend: a device result held ${position} values, expected ${size}`);
  return out;
}
