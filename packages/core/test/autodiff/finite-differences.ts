// Checks analytic gradients against central finite differences. L(x) = Σ f(x) · w for a fixed
// random w (so every output entry matters, with a different weight); the numeric side sums in
// float64 on the host: ∂L/∂xᵢ ≈ (L(x + h eᵢ) - L(x - h eᵢ)) / 2h.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';

/** A deterministic generator (LCG) of values in [low, high). */
export function seededValues(length: number, seed: number, low = -1, high = 1): Float32Array {
  const values = new Float32Array(length);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = low + (high - low) * (state / 2 ** 32);
  }
  return values;
}

export interface InputSpec {
  shape: number[];
  /** Defaults to seeded values in [-1, 1). */
  values?: Float32Array;
  low?: number;
  high?: number;
}

export interface CheckOptions {
  /** The finite-difference step (default 1e-2: float32 forward passes need a large one). */
  step?: number;
  /** |analytic - numeric| ≤ absolute + relative · |numeric| (defaults 2e-3 and 2e-2). */
  absolute?: number;
  relative?: number;
  seed?: number;
}

function weightedSum(output: tz.Tensor, weights: Float32Array): number {
  const values = output.dataSync();
  let total = 0;
  for (let index = 0; index < values.length; index++) total += values[index]! * weights[index]!;
  return total;
}

/** Differentiates f with respect to every input and compares each entry with finite differences. */
export function checkGradients(f: (...xs: tz.Tensor[]) => tz.Tensor, specs: InputSpec[], options: CheckOptions = {}): void {
  const step = options.step ?? 1e-2;
  const absolute = options.absolute ?? 2e-3;
  const relative = options.relative ?? 2e-2;
  const seed = options.seed ?? 7;
  const values = specs.map((spec, index) => spec.values ?? seededValues(spec.shape.reduce((a, b) => a * b, 1), seed + index, spec.low, spec.high));
  const inputs = specs.map((spec, index) => tz.tensor(values[index]!, spec.shape));
  try {
    const probe = tz.tidy(() => f(...inputs));
    const weights = seededValues(probe.size, seed + 100, -1, 1);
    const outputGradient = tz.tensor(weights, probe.shape);
    probe.dispose();
    const analytic = tz.grads(f)(inputs, outputGradient).map((gradient) => {
      const data = Array.from(gradient.dataSync());
      gradient.dispose();
      return data;
    });
    outputGradient.dispose();
    const loss = (perturbed: Float32Array[]): number => {
      const tensors = perturbed.map((value, index) => tz.tensor(value, specs[index]!.shape));
      const output = tz.tidy(() => f(...tensors));
      const total = weightedSum(output, weights);
      tz.dispose([output, ...tensors]);
      return total;
    };
    specs.forEach((_, inputIndex) => {
      for (let entry = 0; entry < values[inputIndex]!.length; entry++) {
        const plus = values.map((value) => value.slice());
        const minus = values.map((value) => value.slice());
        plus[inputIndex]![entry] = plus[inputIndex]![entry]! + step;
        minus[inputIndex]![entry] = minus[inputIndex]![entry]! - step;
        const numeric = (loss(plus) - loss(minus)) / (2 * step);
        const got = analytic[inputIndex]![entry]!;
        const tolerance = absolute + relative * Math.abs(numeric);
        if (!(Math.abs(got - numeric) <= tolerance))
          expect.fail(`input ${inputIndex} entry ${entry}: analytic ${got}, numeric ${numeric} (tolerance ${tolerance.toExponential(2)})`);
      }
    });
  } finally {
    tz.dispose(inputs);
  }
}
