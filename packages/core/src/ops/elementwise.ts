// Elementwise ops: arithmetic with NumPy broadcasting and type promotion, comparisons, logic,
// unary math, where, cast.
import { allDTypes, isFloatDType, upcastDTypes, type DType } from '../dtype.js';
import { engine } from '../engine.js';
import { argumentError } from '../errors.js';
import type { BinaryKernelName, UnaryKernelName } from '../kernel-names.js';
import { broadcastShapes, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertTensor, run, toTensor, type TensorLike } from './dispatch.js';

export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor('cast', 'x', x);
  if (!allDTypes.includes(dtype)) argumentError('cast', 'dtype', `one of ${allDTypes.join(', ')}`, dtype);
  return run('Cast', { x }, { dtype }, x.shape);
}

/** The shape of a tensor-like argument (numbers and booleans are scalars), validated first. */
function shapeOf(op: string, argument: string, value: TensorLike): Shape {
  if (typeof value === 'number' || typeof value === 'boolean') return [];
  if (!(value instanceof Tensor)) argumentError(op, argument, 'a Tensor or a number', value === null ? 'null' : typeof value);
  return assertTensor(op, argument, value).shape;
}

function unify(op: string, a: TensorLike, b: TensorLike, float: boolean): [Tensor, Tensor, Tensor[]] {
  const likeA = typeof a === 'object' ? a.dtype : undefined;
  const likeB = typeof b === 'object' ? b.dtype : undefined;
  const tensorA = toTensor(op, 'a', a, likeB);
  const tensorB = toTensor(op, 'b', b, likeA ?? tensorA.dtype);
  const created: Tensor[] = [];
  if (tensorA !== a) created.push(tensorA);
  if (tensorB !== b) created.push(tensorB);
  let dtype: DType = upcastDTypes(tensorA.dtype, tensorB.dtype);
  if (float) dtype = 'float32';
  const castA = tensorA.dtype === dtype ? tensorA : cast(tensorA, dtype);
  const castB = tensorB.dtype === dtype ? tensorB : cast(tensorB, dtype);
  if (castA !== tensorA) created.push(castA);
  if (castB !== tensorB) created.push(castB);
  return [castA, castB, created];
}

// Arithmetic kernels keep their input dtype, so two bools would give a bool holding 1 + 1: arithmetic
// on two bools counts in int32 instead (comparisons, maximum and minimum stay bool).
const arithmeticKernels: ReadonlySet<BinaryKernelName> = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);

function binary(kernelName: BinaryKernelName, op: string, a: TensorLike, b: TensorLike, float = false): Tensor {
  // Shapes are checked before any scalar or promoted copy exists, so an error leaks nothing.
  const outShape = broadcastShapes(op, shapeOf(op, 'a', a), shapeOf(op, 'b', b));
  let [left, right, created] = unify(op, a, b, float);
  if (left.dtype === 'bool' && arithmeticKernels.has(kernelName)) {
    const [intLeft, intRight] = [cast(left, 'int32'), cast(right, 'int32')];
    created.push(intLeft, intRight);
    [left, right] = [intLeft, intRight];
  }
  const out = run(kernelName, { a: left, b: right }, {}, outShape);
  for (const temporary of created) temporary.dispose();
  return out;
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('Add', 'add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('Sub', 'sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('Mul', 'mul', a, b);
/** True division: integer inputs give float32. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('Div', 'div', a, b, true);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('Pow', 'pow', a, b, true);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('Maximum', 'maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('Minimum', 'minimum', a, b);
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('Equal', 'equal', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => binary('Less', 'less', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('Greater', 'greater', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => logicalNot(greater(a, b), true);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => logicalNot(less(a, b), true);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => logicalNot(equal(a, b), true);

function logical(kernelName: BinaryKernelName, op: string, a: TensorLike, b: TensorLike): Tensor {
  for (const [name, value] of [['a', a], ['b', b]] as const) {
    if (typeof value === 'boolean') continue;
    if (typeof value === 'number') argumentError(op, name, 'a bool tensor or a boolean', String(value));
    if (assertTensor(op, name, value).dtype !== 'bool') argumentError(op, name, 'a bool tensor', value);
  }
  const shape = broadcastShapes(op, shapeOf(op, 'a', a), shapeOf(op, 'b', b));
  const left = toTensor(op, 'a', a, 'bool');
  const right = toTensor(op, 'b', b, 'bool');
  const out = run(kernelName, { a: left, b: right }, {}, shape);
  if (left !== a) left.dispose();
  if (right !== b) right.dispose();
  return out;
}

export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => logical('LogicalAnd', 'logicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => logical('LogicalOr', 'logicalOr', a, b);

export function logicalNot(x: Tensor, disposeInput = false): Tensor {
  assertTensor('logicalNot', 'x', x);
  if (x.dtype !== 'bool') argumentError('logicalNot', 'x', 'a bool tensor', x);
  const out = run('LogicalNot', { x }, {}, x.shape);
  if (disposeInput) x.dispose();
  return out;
}

function unary(kernelName: UnaryKernelName | 'Round', op: string, x: Tensor, float = true): Tensor {
  assertTensor(op, 'x', x);
  if (x.dtype === 'bool') argumentError(op, 'x', 'a numeric tensor', x);
  if (float && !isFloatDType(x.dtype)) {
    const asFloat = cast(x, 'float32');
    const out = run(kernelName, { x: asFloat }, {}, x.shape);
    asFloat.dispose();
    return out;
  }
  return run(kernelName, { x }, {}, x.shape);
}

export const neg = (x: Tensor): Tensor => unary('Neg', 'neg', x, false);
export const abs = (x: Tensor): Tensor => unary('Abs', 'abs', x, false);
export const exp = (x: Tensor): Tensor => unary('Exp', 'exp', x);
export const log = (x: Tensor): Tensor => unary('Log', 'log', x);
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', 'sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('Rsqrt', 'rsqrt', x);
export const tanh = (x: Tensor): Tensor => unary('Tanh', 'tanh', x);
export const erf = (x: Tensor): Tensor => unary('Erf', 'erf', x);
export const square = (x: Tensor): Tensor => mul(x, x);

/**
 * Round half to even, as numpy.round and Keras's ops.round do (0.5 → 0, 1.5 → 2, 2.5 → 2,
 * -0.5 → -0, -2.5 → -2); float input gives float32. An integer tensor is already round: it comes
 * back as a view of the same data and dtype.
 */
export function round(x: Tensor): Tensor {
  assertTensor('round', 'x', x);
  if (x.dtype === 'bool') argumentError('round', 'x', 'a numeric tensor', x);
  if (!isFloatDType(x.dtype)) return engine.makeView(x, x.shape);
  return unary('Round', 'round', x);
}

/** condition ? a : b, broadcasting all three; a and b are promoted to a common dtype. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  assertTensor('where', 'condition', condition);
  if (condition.dtype !== 'bool') argumentError('where', 'condition', 'a bool tensor', condition);
  const conditionAndA = broadcastShapes('where', condition.shape, shapeOf('where', 'a', a), ['condition', 'a']);
  const shape = broadcastShapes('where', conditionAndA, shapeOf('where', 'b', b), ['broadcast(condition, a)', 'b']);
  const [left, right, created] = unify('where', a, b, false);
  const out = run('Where', { condition, a: left, b: right }, {}, shape);
  for (const temporary of created) temporary.dispose();
  return out;
}
