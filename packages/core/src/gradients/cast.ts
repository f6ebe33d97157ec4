// y = cast(x): between float dtypes the rounding is treated as the identity (straight through,
// as TensorFlow and JAX do), so a bfloat16 compute dtype still trains float32 LoRA factors.
// Integer and bool inputs carry no gradient.
import { isFloatDType } from '../dtype.js';
import { cast } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const castGradient: GradientConfig = {
  kernelName: 'Cast',
  gradient: (dy, { inputs: { x } }): Record<string, () => Tensor> => (isFloatDType(x!.dtype) ? { x: () => cast(dy, 'float32') } : {}),
};
