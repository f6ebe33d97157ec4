// LoRA as Keras implements it (gemma.md §2.7): two float32 factors A (kernel.shape[:-1] + [r]) and
// B ([r, kernel.shape[-1]]), the base weight frozen, and an effective weight W + (alpha / r)·(A @ B).
// Derived tensors (the merged weight, a weight cast to the compute dtype) are cached against the
// variables' versions, so inference does not redo the merge on every call.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type DType, type Tensor } from '@tensorzoo/core';
import type { InitializerIdentifier } from './initializers.js';
import type { Variable } from './variable.js';

export interface EnableLoraOptions {
  /** Scales the update by loraAlpha / rank; defaults to rank (scale 1). */
  loraAlpha?: number | null;
  /** Initializer of A (default 'he_uniform'). */
  aInitializer?: InitializerIdentifier;
  /** Initializer of B (default 'zeros', so enabling LoRA leaves outputs unchanged). */
  bInitializer?: InitializerIdentifier;
}

/** The factors of an enabled LoRA and its scale. */
export class LoraState {
  constructor(
    readonly a: Variable,
    readonly b: Variable,
    readonly rank: number,
    readonly alpha: number,
  ) {}
  get scale(): number {
    return this.alpha / this.rank;
  }
}

/** Keras's preconditions for enable_lora, with the rank checked too. */
export function checkEnableLora(layer: { name: string; built: boolean; constructor: { name: string } }, current: LoraState | null, rank: number, alpha: number | null | undefined): void {
  const op = `${layer.constructor.name} '${layer.name}'.enableLora`;
  if (!Number.isInteger(rank) || rank <= 0) argumentError(op, 'rank', 'a positive integer', rank);
  if (alpha !== null && alpha !== undefined && !(typeof alpha === 'number' && Number.isFinite(alpha)))
    argumentError(op, 'loraAlpha', 'a finite number or null', alpha);
  if (!layer.built) throw new TensorzooError(`${op}: cannot enable LoRA on a layer that is not built yet (build it or call it once first)`);
  if (current) throw new TensorzooError(`${op}: LoRA is already enabled (rank ${current.rank}); it can be enabled only once per layer`);
}

/** A tensor derived from variables, recomputed only when one of them was assigned (or the dtype changes). */
export class DerivedTensorCache {
  private key: string | null = null;
  private tensor: Tensor | null = null;

  /** `compute` must return a new tensor (never a variable's own value): the cache owns and disposes it. */
  get(sources: readonly Variable[], dtype: DType, compute: () => Tensor): Tensor {
    // Under a gradient tape the merge must be recorded (it is how A and B reach the loss), so it
    // is recomputed, uncached, and left to the recording scope to dispose.
    if (tz.engine.isRecording) return tz.tidy(compute);
    const key = `${dtype}|${sources.map((variable) => `${variable.version}`).join(',')}`;
    if (this.tensor && this.key === key && !this.tensor.isDisposed) return this.tensor;
    this.dispose();
    this.tensor = tz.keep(tz.tidy(compute));
    this.key = key;
    return this.tensor;
  }

  dispose(): void {
    this.tensor?.dispose();
    this.tensor = null;
    this.key = null;
  }
}

/**
 * The effective weight in `dtype`: the variable's own value when LoRA is off and no cast is
 * needed (no copy), else a cached W + scale·(A @ B) (summed in float32) or cast of W.
 * The result is owned by the variable or the cache: callers must not dispose it.
 */
export function effectiveWeight(base: Variable, lora: LoraState | null, dtype: DType, cache: DerivedTensorCache): Tensor {
  if (!lora) {
    if (base.dtype === dtype) return base.value;
    return cache.get([base], dtype, () => tz.cast(base.value, dtype));
  }
  return cache.get([base, lora.a, lora.b], dtype, () => {
    // A: [..., r] and B: [r, out]; matMul broadcasts B over A's leading axes: [..., out].
    const product = tz.matMul(lora.a.value, lora.b.value);
    const delta = lora.scale === 1 ? product : tz.mul(product, lora.scale);
    const merged = tz.add(base.value, delta);
    return merged.dtype === dtype ? merged : tz.cast(merged, dtype);
  });
}

/** Casts `x` to `dtype` when it differs (a new tensor), else returns it. */
export function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : tz.cast(x, dtype);
}

/**
 * Keras's loading rule for layers with LoRA-capable weights: entries are the base weight then
 * the others; with LoRA enabled the count check is skipped, and the factors are reset to zeros
 * because the stored base weight already has them merged in.
 */
export function loadMergedWeights(
  layer: { name: string },
  targets: readonly Variable[],
  lora: LoraState | null,
  values: readonly (Tensor | ArrayLike<number>)[],
): void {
  if (!lora && values.length !== targets.length)
    throw new TensorzooError(
      `Layer '${layer.name}' expected ${targets.length} variables, but received ${values.length} variables during loading. ` +
        `Expected: [${targets.map((variable) => variable.name).join(', ')}]`,
    );
  if (values.length < targets.length)
    throw new TensorzooError(`Layer '${layer.name}' expected ${targets.length} stored values (${targets.map((variable) => variable.name).join(', ')}), received ${values.length}`);
  targets.forEach((variable, index) => variable.assign(values[index]!));
  if (lora) for (const factor of [lora.a, lora.b]) factor.assign(new Float32Array(factor.size));
}
