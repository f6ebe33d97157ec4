// The gradient tape. While a function runs, the engine tells the tape of every kernel (kernel
// listener) and every view (view listener). The tape records only what depends on the sources
// (a kernel with at least one recorded input; its float outputs become recorded too), keeping a
// view of each tensor it needs so that the forward pass may dispose its intermediates. Backward
// walks the records in reverse, each step in its own scope, accumulating dL/d(tensor) by tensor id.
import { engine, type KernelRecord } from '../engine.js';
import { isFloatDType } from '../dtype.js';
import { TensorzooError } from '../errors.js';
import { formatShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, cast } from '../ops/elementwise.js';
import { getGradient, type DifferentiableName, type GradientConfig, type SavedKernel } from './gradient-registry.js';

interface TapeEntry {
  kernelName: DifferentiableName;
  gradient: GradientConfig | undefined;
  /** Input name → id of the tensor the forward pass used. */
  inputIds: Record<string, number>;
  outputIds: number[];
  saved: SavedKernel;
}

export class Tape {
  /** Ids of the sources and of every tensor computed from them. */
  private readonly recorded = new Set<number>();
  private readonly sourceIds = new Set<number>();
  private readonly entries: TapeEntry[] = [];
  /** Tensor id → a kept view of it (shares its data) that lives until `dispose`. */
  private readonly keptViews = new Map<number, Tensor>();
  private savingView = false;

  constructor(sources: readonly Tensor[]) {
    for (const source of sources) {
      this.recorded.add(source.id);
      this.sourceIds.add(source.id);
    }
  }

  /** Records `fn` (kernels and views it runs); returns its result. */
  record<T>(fn: () => T): T {
    const stopKernels = engine.addKernelListener((record) => this.onKernel(record));
    const stopViews = engine.addViewListener((source, view) => this.onView(source, view));
    engine.startRecording();
    try {
      return fn();
    } finally {
      engine.stopRecording();
      stopKernels();
      stopViews();
    }
  }

  /** Whether `tensor` depends on a source (or is one). */
  isRecorded(tensor: Tensor): boolean {
    return this.recorded.has(tensor.id);
  }

  private onKernel(record: KernelRecord): void {
    if (!Object.values(record.inputs).some((input) => this.recorded.has(input.id))) return;
    const floatOutputs = record.outputs.filter((output) => isFloatDType(output.dtype));
    if (floatOutputs.length === 0) return; // comparisons, argmax: nothing to differentiate
    this.push(record.kernelName, record.inputs, record.attrs, record.outputs);
  }

  private onView(source: Tensor, view: Tensor): void {
    if (this.savingView || !this.recorded.has(source.id) || !isFloatDType(source.dtype)) return;
    this.push('Reshape', { x: source }, {}, [view]);
  }

  private push(kernelName: DifferentiableName, inputs: Record<string, Tensor>, attrs: KernelRecord['attrs'], outputs: Tensor[]): void {
    const inputIds: Record<string, number> = {};
    const savedInputs: Record<string, Tensor> = {};
    for (const [name, input] of Object.entries(inputs)) {
      inputIds[name] = input.id;
      savedInputs[name] = this.keep(input);
    }
    for (const output of outputs) if (isFloatDType(output.dtype)) this.recorded.add(output.id);
    this.entries.push({
      kernelName,
      gradient: getGradient(kernelName),
      inputIds,
      outputIds: outputs.map((output) => output.id),
      saved: { inputs: savedInputs, attrs, output: this.keep(outputs[0]!) },
    });
  }

  private keep(tensor: Tensor): Tensor {
    let view = this.keptViews.get(tensor.id);
    if (!view) {
      this.savingView = true;
      try {
        view = engine.keep(engine.makeView(tensor, tensor.shape));
      } finally {
        this.savingView = false;
      }
      this.keptViews.set(tensor.id, view);
    }
    return view;
  }

  /**
   * dL/d(source) for each source, where L = sum(result · outputGradient). Sources the result does
   * not depend on get zeros. Every returned tensor is new (float32) and owned by the caller.
   */
  backward(result: Tensor, outputGradient: Tensor, sources: readonly Tensor[]): Tensor[] {
    const gradients = new Map<number, Tensor>();
    try {
      if (this.recorded.has(result.id)) gradients.set(result.id, engine.makeView(outputGradient, outputGradient.shape));
      for (let index = this.entries.length - 1; index >= 0; index--) this.backwardStep(this.entries[index]!, gradients);
      return sources.map((source) => {
        const gradient = gradients.get(source.id);
        return engine.tidy(() => (gradient ? engine.makeView(gradient, gradient.shape) : zerosOf(source)));
      });
    } finally {
      for (const gradient of gradients.values()) gradient.dispose();
    }
  }

  private backwardStep(entry: TapeEntry, gradients: Map<number, Tensor>): void {
    const outputGradients = entry.outputIds.map((id) => gradients.get(id));
    if (outputGradients.every((gradient) => gradient === undefined)) return;
    const dy = outputGradients[0];
    if (!entry.gradient || outputGradients.slice(1).some(Boolean) || !dy)
      throw new TensorzooError(`gradient: kernel '${entry.kernelName}' is not differentiable (no gradient is registered for it), but the result depends on its output`);
    const thunks = entry.gradient.gradient(dy, entry.saved);
    for (const [name, id] of Object.entries(entry.inputIds)) {
      if (!this.recorded.has(id)) continue; // a frozen weight, a constant: never computed
      const thunk = thunks[name];
      if (!thunk) continue;
      const input = entry.saved.inputs[name]!;
      const contribution = engine.tidy(() => {
        const value = thunk();
        if (!shapesEqual(value.shape, input.shape))
          throw new TensorzooError(`gradient of '${entry.kernelName}': input '${name}' expected a gradient of shape ${formatShape(input.shape)}, received ${formatShape(value.shape)}`);
        // A view, so that the map never holds the same tensor object twice (a gradient may be dy itself).
        return value.dtype === 'float32' ? engine.makeView(value, value.shape) : cast(value, 'float32');
      });
      const previous = gradients.get(id);
      if (previous) {
        gradients.set(id, add(previous, contribution));
        previous.dispose();
        contribution.dispose();
      } else gradients.set(id, contribution);
    }
    // Every consumer of these outputs came later on the tape, so their gradients are complete.
    for (const id of entry.outputIds) {
      if (this.sourceIds.has(id)) continue;
      gradients.get(id)?.dispose();
      gradients.delete(id);
    }
  }

  dispose(): void {
    for (const view of this.keptViews.values()) view.dispose();
    this.keptViews.clear();
    this.entries.length = 0;
  }
}

function zerosOf(source: Tensor): Tensor {
  return engine.makeTensor(new Float32Array(source.size), source.shape, 'float32');
}
