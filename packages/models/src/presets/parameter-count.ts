// The number of parameters of a GemmaBackbone, from its configuration alone (spec gemma.md §1.8):
//   V*D + L*(nNorm*D + N*D*H + 2*K*D*H + N*H*D + 3*D*F) + D
// with F = floor(intermediateDim / 2) (KerasHub builds the feed-forward layers at half the
// configured width) and nNorm = 2 plus one for each Gemma 2 post norm. The terms are, in order:
// the tied embedding, per block the norms, query, key + value, attention output and the three
// feed-forward kernels, and the final norm. It reproduces every built-in preset's `params`.
import { argumentError } from '@tensorzoo/core';

/** The configuration values the parameter count depends on (GemmaBackbone's argument names). */
export interface GemmaArchitecture {
  readonly vocabularySize: number;
  readonly numLayers: number;
  readonly numQueryHeads: number;
  readonly numKeyValueHeads: number;
  readonly hiddenDim: number;
  readonly intermediateDim: number;
  readonly headDim: number;
  readonly usePostFfwNorm?: boolean;
  readonly usePostAttentionNorm?: boolean;
}

const positiveIntegerKeys = [
  'vocabularySize',
  'numLayers',
  'numQueryHeads',
  'numKeyValueHeads',
  'hiddenDim',
  'intermediateDim',
  'headDim',
] as const;

export function gemmaParameterCount(config: GemmaArchitecture): number {
  const op = 'gemmaParameterCount';
  if (typeof config !== 'object' || config === null)
    argumentError(op, 'config', 'a Gemma backbone configuration object', config);
  for (const key of positiveIntegerKeys) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 1) argumentError(op, `config.${key}`, 'a positive integer', value);
  }
  const {
    vocabularySize: V,
    numLayers: L,
    numQueryHeads: N,
    numKeyValueHeads: K,
    hiddenDim: D,
    intermediateDim,
    headDim: H,
  } = config;
  const F = Math.floor(intermediateDim / 2);
  const normsPerBlock = 2 + (config.usePostAttentionNorm ? 1 : 0) + (config.usePostFfwNorm ? 1 : 0);
  const perBlock = normsPerBlock * D + N * D * H + 2 * K * D * H + N * H * D + 3 * D * F;
  const total = V * D + L * perBlock + D;
  // Every preset is far below 2**53; a configuration that is not would lose exactness silently.
  if (!Number.isSafeInteger(total))
    argumentError(op, 'config', 'a configuration whose parameter count fits in a safe integer', total);
  return total;
}
