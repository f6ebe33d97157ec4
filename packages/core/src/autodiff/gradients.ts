// Reverse-mode differentiation of functions of tensors: grad / grads / valueAndGrad /
// valueAndGrads (TensorFlow.js's names and shapes) and gradientsOf, which differentiates a
// closure with respect to any tensors it reads (what layers use for Variables).
import { engine } from '../engine.js';
import { isFloatDType } from '../dtype.js';
import { argumentError } from '../errors.js';
import { formatShape, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { registerAllGradients } from '../gradients/register-all-gradients.js';
import { Tape } from './tape.js';

export interface ValueAndGradients {
  /** What the function returned. */
  value: Tensor;
  /** dL/d(source) per source, float32, in the sources' order and shapes. */
  grads: Tensor[];
}

function checkSource(op: string, argument: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) return argumentError(op, argument, 'a Tensor', value === null ? 'null' : typeof value);
  value.throwIfDisposed(op);
  if (!isFloatDType(value.dtype)) argumentError(op, argument, 'a float tensor (gradients exist for float tensors only)', value);
  return value;
}

function checkSources(op: string, xs: unknown): void {
  if (!Array.isArray(xs)) argumentError(op, 'xs', 'an array of float tensors', xs);
  xs.forEach((x, index) => checkSource(op, `xs[${index}]`, x));
}

/**
 * Runs `f` on a tape and differentiates L = sum(f() · outputGradient) (outputGradient defaults
 * to ones, so a scalar f gives its plain gradient) with respect to `sources`, tensors that `f`
 * reads. Everything `f` and the backward pass create is disposed except the returned value and
 * gradients, which the caller owns. A source `f` does not depend on gets zeros.
 */
export function gradientsOf(f: () => Tensor, sources: readonly Tensor[], outputGradient?: Tensor): ValueAndGradients {
  const op = 'gradientsOf';
  if (typeof f !== 'function') argumentError(op, 'f', 'a function returning a Tensor', typeof f);
  if (!Array.isArray(sources)) argumentError(op, 'sources', 'an array of float tensors', sources);
  sources.forEach((source, index) => checkSource(op, `sources[${index}]`, source));
  if (outputGradient !== undefined) checkSource(op, 'outputGradient', outputGradient);
  registerAllGradients();
  const tape = new Tape(sources);
  engine.startScope(op);
  let result: ValueAndGradients | undefined;
  try {
    const value = tape.record(f);
    if (!(value instanceof Tensor)) argumentError(op, 'f', 'a function returning a Tensor', value === null ? 'null' : typeof value);
    if (!isFloatDType(value.dtype)) argumentError(op, 'f', 'a function returning a float tensor', value);
    if (outputGradient && !shapesEqual(outputGradient.shape, value.shape))
      argumentError(op, 'outputGradient', `shape ${formatShape(value.shape)} (the shape of f's result)`, formatShape(outputGradient.shape));
    const seed = outputGradient ?? engine.makeTensor(new Float32Array(value.size).fill(1), value.shape, 'float32');
    result = { value, grads: tape.backward(value, seed, sources) };
    return result;
  } finally {
    engine.endScope(result ? [result.value, ...result.grads] : undefined);
    tape.dispose();
  }
}

/** (x, dy?) → d/dx sum(f(x) · dy). */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => Tensor {
  return (x, dy) => {
    checkSource('grad', 'x', x);
    const { value, grads } = gradientsOf(() => f(x), [x], dy);
    if (value !== x) value.dispose();
    return grads[0]!;
  };
}

/** (xs, dy?) → [d/dxᵢ sum(f(...xs) · dy)]. */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: readonly Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => {
    checkSources('grads', xs);
    const { value, grads: gradients } = gradientsOf(() => f(...xs), xs, dy);
    if (!xs.includes(value)) value.dispose();
    return gradients;
  };
}

/** (x, dy?) → { value: f(x), grad }. */
export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => { value: Tensor; grad: Tensor } {
  return (x, dy) => {
    checkSource('valueAndGrad', 'x', x);
    const { value, grads: gradients } = gradientsOf(() => f(x), [x], dy);
    return { value, grad: gradients[0]! };
  };
}

/** (xs, dy?) → { value: f(...xs), grads }. */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (xs: readonly Tensor[], dy?: Tensor) => ValueAndGradients {
  return (xs, dy) => {
    checkSources('valueAndGrads', xs);
    return gradientsOf(() => f(...xs), xs, dy);
  };
}
