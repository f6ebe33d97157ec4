// Gradient clipping by global norm (Keras's global_clipnorm, TensorFlow's clip_by_global_norm):
// every gradient is scaled by clipNorm / max(globalNorm, clipNorm), globalNorm = √(Σ ‖gᵢ‖²).
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';

/** √(Σᵢ Σ gᵢ²) over every gradient, on the host in float64. */
export function globalNorm(gradients: readonly Tensor[]): number {
  let total = 0;
  for (const gradient of gradients) {
    const squared = tz.tidy(() => tz.sum(tz.square(tz.cast(gradient, 'float32'))));
    total += squared.dataSync()[0]!;
    squared.dispose();
  }
  return Math.sqrt(total);
}

/** New gradients (the caller owns them) scaled to a global norm of at most clipNorm, and the norm before clipping. */
export function clipByGlobalNorm(gradients: readonly Tensor[], clipNorm: number): { gradients: Tensor[]; globalNorm: number } {
  if (!(typeof clipNorm === 'number' && clipNorm > 0 && Number.isFinite(clipNorm))) argumentError('clipByGlobalNorm', 'clipNorm', 'a positive finite number', clipNorm);
  if (!Array.isArray(gradients)) argumentError('clipByGlobalNorm', 'gradients', 'an array of tensors', gradients);
  const norm = globalNorm(gradients);
  const scale = clipNorm / Math.max(norm, clipNorm);
  return { gradients: gradients.map((gradient) => tz.mul(gradient, scale)), globalNorm: norm };
}
