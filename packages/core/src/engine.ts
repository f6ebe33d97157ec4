// The one dispatch point: every op reaches a backend through `runKernel`, which moves inputs to the
// active backend, decodes storage dtypes (bfloat16/float16 → float32, int8 → int32), looks the kernel up, wraps outputs as tracked tensors and
// tells any listening tape (autodiff) what ran. Also owns backends, scopes (`tidy`) and the
// reference counts of data shared between tensors (reshape shares data, it does not copy).
import type { Backend, BackendFactory, DataId, TensorInfo } from './backend.js';
import { computeDTypeOf, isStorageDType, type DType, type StorageValues } from './dtype.js';
import { TensorzooError } from './errors.js';
import { getKernel, listKernels, type KernelAttrs } from './kernel-registry.js';
import type { KernelName } from './kernel-names.js';
import type { Shape } from './shape.js';
import { Tensor, type DataRecord } from './tensor.js';

export interface KernelRecord {
  kernelName: KernelName;
  inputs: Record<string, Tensor>;
  attrs: KernelAttrs;
  outputs: Tensor[];
}

export type KernelListener = (record: KernelRecord) => void;
/** Told of every view (reshape) made: `view` shares `source`'s data with a new shape. */
export type ViewListener = (source: Tensor, view: Tensor) => void;

export type TensorContainer = Tensor | TensorContainer[] | { [key: string]: TensorContainer } | void | undefined | null | number | string | boolean;

interface Scope {
  tracked: Tensor[];
  name: string;
}

export class Engine {
  private factories = new Map<string, BackendFactory>();
  private instances = new Map<string, Backend>();
  private active: Backend | null = null;
  private pendingInitialisation = new Map<string, Promise<Backend>>();
  private scopes: Scope[] = [];
  private listeners: KernelListener[] = [];
  private viewListeners: ViewListener[] = [];
  private recordingDepth = 0;
  private liveTensors = 0;
  private nextTensorId = 0;

  registerBackend(factory: BackendFactory): void {
    if (this.factories.has(factory.name)) return;
    this.factories.set(factory.name, factory);
  }

  registeredBackends(): string[] {
    return [...this.factories.keys()];
  }

  /** Initialises (once) and activates a backend. */
  async setBackend(name: string): Promise<void> {
    this.active = await this.initialiseBackend(name);
  }

  async initialiseBackend(name: string): Promise<Backend> {
    const existing = this.instances.get(name);
    if (existing) return existing;
    const factory = this.factories.get(name);
    if (!factory)
      throw new TensorzooError(
        `setBackend: argument 'name' expected one of [${this.registeredBackends().join(', ')}] (importing '@tensorzoo/core/backends/${name}' registers it), received "${name}"`,
      );
    let pending = this.pendingInitialisation.get(name);
    if (!pending) {
      pending = Promise.resolve(factory.create());
      this.pendingInitialisation.set(name, pending);
    }
    try {
      const backend = await pending;
      this.instances.set(name, backend);
      return backend;
    } finally {
      this.pendingInitialisation.delete(name);
    }
  }

  /** The active backend; the reference backend (or the highest-priority synchronous one) by default. */
  get backend(): Backend {
    if (this.active) return this.active;
    const candidates = [...this.factories.values()].sort((a, b) => b.priority - a.priority);
    for (const factory of candidates) {
      if (this.pendingInitialisation.has(factory.name)) continue;
      const created = this.instances.get(factory.name) ?? factory.create();
      if (created instanceof Promise) {
        // Not usable synchronously. Keep the started initialisation for a later setBackend(name)
        // instead of dropping it: dropped, it would start again there, and a rejection would be
        // an unhandled one (which ends a Node process).
        created.catch(() => undefined);
        this.pendingInitialisation.set(factory.name, created);
        continue;
      }
      this.instances.set(factory.name, created);
      this.active = created;
      return created;
    }
    throw new TensorzooError('no backend is registered: call setBackend(name) after importing a backend');
  }

  getBackend(): string {
    return this.backend.name;
  }

  findBackend(name: string): Backend | undefined {
    return this.instances.get(name);
  }

  /** Disposes a backend's instance (its data is lost); the next setBackend creates a new one. */
  removeBackend(name: string): void {
    const instance = this.instances.get(name);
    if (!instance) return;
    instance.dispose();
    this.instances.delete(name);
    if (this.active === instance) this.active = null;
  }

  // === Tensors ===

  makeTensor(values: StorageValues, shape: Shape, dtype: DType, backend: Backend = this.backend): Tensor {
    const dataId = backend.write(values, shape, dtype);
    return this.track(new Tensor({ backend, dataId, refCount: 1 }, shape, dtype, this.nextTensorId++, this));
  }

  /** A new tensor that shares `source`'s data (reshape). */
  makeView(source: Tensor, shape: Shape): Tensor {
    source.throwIfDisposed('reshape');
    source.record.refCount++;
    const view = this.track(new Tensor(source.record, shape, source.dtype, this.nextTensorId++, this));
    for (const listener of this.viewListeners) listener(source, view);
    return view;
  }

  private wrap(info: TensorInfo, backend: Backend): Tensor {
    return this.track(new Tensor({ backend, dataId: info.dataId, refCount: 1 }, info.shape, info.dtype, this.nextTensorId++, this));
  }

  private track(tensor: Tensor): Tensor {
    this.liveTensors++;
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.tracked.push(tensor);
    return tensor;
  }

  releaseTensor(tensor: Tensor): void {
    this.liveTensors--;
    const record = tensor.record;
    record.refCount--;
    if (record.refCount === 0) record.backend.disposeData(record.dataId);
  }

  /** Moves a tensor's data (and that of every tensor sharing it) to `backend`. */
  moveTo(tensor: Tensor, backend: Backend): void {
    const record: DataRecord = tensor.record;
    if (record.backend === backend) return;
    const values = record.backend.readSync(record.dataId);
    const dataId: DataId = backend.write(values, tensor.shape, tensor.dtype);
    record.backend.disposeData(record.dataId);
    record.backend = backend;
    record.dataId = dataId;
  }

  // === Dispatch ===

  runKernel(
    kernelName: KernelName,
    inputs: Record<string, Tensor>,
    attrs: KernelAttrs,
    outputShapes: readonly Shape[],
  ): Tensor[] {
    const backend = this.backend;
    const kernel = getKernel(kernelName, backend.name);
    if (!kernel)
      throw new TensorzooError(
        `kernel '${kernelName}' is not registered for backend '${backend.name}' (registered: ${listKernels(backend.name).join(', ') || 'none'})`,
      );
    const infos: Record<string, TensorInfo> = {};
    const temporaries: Tensor[] = [];
    let result: TensorInfo | TensorInfo[];
    // The decoded copies are freed even when the kernel throws (e.g. Gather's id check).
    try {
      for (const [name, tensor] of Object.entries(inputs)) {
        tensor.throwIfDisposed(kernelName);
        this.moveTo(tensor, backend);
        if (isStorageDType(tensor.dtype) && !kernel.storageInputs?.includes(name) && kernelName !== 'Cast') {
          // bfloat16/float16 → float32, int8 → int32.
          const decoded = this.runKernel('Cast', { x: tensor }, { dtype: computeDTypeOf(tensor.dtype) }, [tensor.shape])[0]!;
          temporaries.push(decoded);
          infos[name] = decoded;
        } else infos[name] = tensor;
      }
      result = kernel.kernelFunc({ inputs: infos, attrs, backend, outputShapes });
    } finally {
      for (const temporary of temporaries) temporary.dispose();
    }
    const outputs = (Array.isArray(result) ? result : [result]).map((info) => this.wrap(info, backend));
    if (this.listeners.length) {
      const record: KernelRecord = { kernelName, inputs, attrs, outputs };
      for (const listener of this.listeners) listener(record);
    }
    return outputs;
  }

  addKernelListener(listener: KernelListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((candidate) => candidate !== listener);
    };
  }

  /** Views are not kernels: a gradient tape learns of them here. */
  addViewListener(listener: ViewListener): () => void {
    this.viewListeners.push(listener);
    return () => {
      this.viewListeners = this.viewListeners.filter((candidate) => candidate !== listener);
    };
  }

  /** True while a gradient tape records: caches of derived tensors must recompute, so that the
   * tape sees what they derive from (src/autodiff sets it). */
  get isRecording(): boolean {
    return this.recordingDepth > 0;
  }

  startRecording(): void {
    this.recordingDepth++;
  }

  stopRecording(): void {
    this.recordingDepth = Math.max(0, this.recordingDepth - 1);
  }

  // === Scopes ===

  startScope(name = 'scope'): void {
    this.scopes.push({ tracked: [], name });
  }

  endScope(result?: TensorContainer): void {
    const scope = this.scopes.pop();
    if (!scope) throw new TensorzooError('endScope: no scope is open');
    const keep = new Set<Tensor>();
    collectTensors(result, keep);
    const parent = this.scopes[this.scopes.length - 1];
    for (const tensor of scope.tracked) {
      if (tensor.isDisposed) continue;
      if (keep.has(tensor)) parent?.tracked.push(tensor);
      else if (!tensor.kept) tensor.dispose();
    }
  }

  tidy<T extends TensorContainer>(fn: () => T, name = 'tidy'): T {
    this.startScope(name);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.endScope();
      throw error;
    }
    if (result instanceof Promise) {
      this.endScope();
      throw new TensorzooError('tidy: argument \'fn\' expected a synchronous function, received one that returned a Promise');
    }
    this.endScope(result);
    return result;
  }

  keep<T extends Tensor>(tensor: T): T {
    tensor.kept = true;
    return tensor;
  }

  memory(): { numTensors: number; numDataIds: number; backend: string } {
    let numDataIds = 0;
    for (const instance of this.instances.values()) numDataIds += instance.numDataIds();
    return { numTensors: this.liveTensors, numDataIds, backend: this.active?.name ?? 'none' };
  }
}

function collectTensors(container: TensorContainer, into: Set<Tensor>): void {
  if (container instanceof Tensor) into.add(container);
  else if (Array.isArray(container)) for (const item of container) collectTensors(item, into);
  else if (container && typeof container === 'object') for (const value of Object.values(container)) collectTensors(value, into);
}

// One engine per realm, shared by every copy of the package that might be loaded.
const globalKey = Symbol.for('tensorzoo.engine');
const globalObject = globalThis as unknown as Record<symbol, Engine | undefined>;
export const engine: Engine = globalObject[globalKey] ?? (globalObject[globalKey] = new Engine());
