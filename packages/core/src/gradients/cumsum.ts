// y = cumsum(x, axis, exclusive, reverse) → dx = cumsum(dy, axis, exclusive, !reverse): each x
// entry reaches exactly the outputs the reversed scan sums over.
import { cumsum } from '../ops/scan.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const cumsumGradient: GradientConfig = {
  kernelName: 'Cumsum',
  gradient: (dy, { attrs }) => ({
    x: () => cumsum(dy, attrs.axis as number, { exclusive: attrs.exclusive as boolean, reverse: !(attrs.reverse as boolean) }),
  }),
};
