// Broadcasting's adjoint: a gradient in the broadcast (output) shape is summed over the axes an
// input was broadcast along (leading axes it lacks, and its size-1 axes), then viewed in its shape.
import { shapesEqual, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sum } from '../ops/reductions.js';
import { reshape } from '../ops/shape-ops.js';

export function sumToShape(gradient: Tensor, shape: Shape): Tensor {
  if (shapesEqual(gradient.shape, shape)) return gradient;
  const offset = gradient.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < gradient.rank; axis++)
    if (axis < offset || (shape[axis - offset] === 1 && gradient.shape[axis] !== 1)) axes.push(axis);
  const summed = axes.length ? sum(gradient, axes, true) : gradient;
  return reshape(summed, shape);
}
