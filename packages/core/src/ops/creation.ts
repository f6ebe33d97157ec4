// Creating tensors from host values, constants and seeded random distributions.
import { engine } from '../engine.js';
import { allocate, allDTypes, encodeStorage, isFloatDType, saturateToInt8, type DType, type StorageValues } from '../dtype.js';
import { argumentError } from '../errors.js';
import { formatShape, sizeOf, type Shape } from '../shape.js';
import type { NestedArray, Tensor } from '../tensor.js';
import { generatorFor } from './random.js';

export type TensorInput = NestedArray | ArrayLike<number> | StorageValues;

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || !shape.every((dimension) => Number.isInteger(dimension) && dimension >= 0))
    argumentError(op, 'shape', 'an array of non-negative integers', shape);
}

function checkDType(op: string, dtype: DType): void {
  if (!allDTypes.includes(dtype)) argumentError(op, 'dtype', `one of ${allDTypes.join(', ')}`, dtype);
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0]!;
  }
  return shape;
}

function flatten(op: string, values: NestedArray, shape: readonly number[], axis: number, out: number[]): void {
  if (axis === shape.length) {
    if (Array.isArray(values)) argumentError(op, 'values', `a ragged-free nested array of shape ${formatShape(shape)}`, 'a deeper nesting');
    out.push(typeof values === 'boolean' ? Number(values) : (values as number));
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[axis])
    argumentError(op, 'values', `a nested array of shape ${formatShape(shape)}`, `length ${Array.isArray(values) ? values.length : 'scalar'} at depth ${axis}`);
  for (const item of values as NestedArray[]) flatten(op, item, shape, axis + 1, out);
}

function toStorage(values: ArrayLike<number>, dtype: DType): StorageValues {
  if (dtype === 'bfloat16' || dtype === 'float16') {
    if (values instanceof Uint16Array) return values;
    return encodeStorage(values, dtype);
  }
  const out = allocate(dtype, values.length);
  if (dtype === 'int8') {
    // An Int8Array is taken as it is; anything else truncates and saturates as Cast does.
    if (values instanceof Int8Array) return values;
    for (let index = 0; index < values.length; index++) out[index] = saturateToInt8(values[index]!);
  } else if (dtype === 'bool') for (let index = 0; index < values.length; index++) out[index] = values[index] ? 1 : 0;
  else if (dtype === 'int32' && !(values instanceof Int32Array))
    // Truncate and saturate as the Cast kernel does (a plain Int32Array store wraps modulo 2³²).
    for (let index = 0; index < values.length; index++) {
      const value = values[index]!;
      out[index] = value !== value ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(value)));
    }
  else (out as Float32Array | Int32Array).set(values as ArrayLike<number>);
  return out;
}

/**
 * A tensor from nested arrays, flat arrays or typed arrays. `shape` defaults to the nesting;
 * `dtype` defaults to the typed array's (Int32Array → int32, Uint8Array → bool, Int8Array → int8)
 * or float32. For bfloat16/float16 a Uint16Array is taken as raw bits; any other values are
 * rounded. For int8 values truncate toward zero and saturate to [-128, 127], as `cast` does.
 */
export function tensor(values: TensorInput, shape?: Shape, dtype?: DType): Tensor {
  const op = 'tensor';
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
    dtype ??= values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'bool' : values instanceof Int8Array ? 'int8' : 'float32';
  } else if (Array.isArray(values) || typeof values === 'number' || typeof values === 'boolean') {
    inferred = inferShape(values as NestedArray);
    const out: number[] = [];
    flatten(op, values as NestedArray, inferred, 0, out);
    flat = out;
    dtype ??= typeof firstLeaf(values as NestedArray) === 'boolean' ? 'bool' : 'float32';
  } else return argumentError(op, 'values', 'a number, a (nested) array or a typed array', typeof values);
  checkDType(op, dtype);
  const finalShape = shape ?? inferred;
  checkShape(op, finalShape);
  if (sizeOf(finalShape) !== flat.length)
    argumentError(op, 'shape', `a shape with ${flat.length} elements (the number of values)`, formatShape(finalShape));
  return engine.makeTensor(toStorage(flat, dtype), finalShape, dtype);
}

function firstLeaf(values: NestedArray): number | boolean {
  let level = values;
  while (Array.isArray(level)) level = level[0]!;
  return level;
}

export function scalar(value: number | boolean, dtype?: DType): Tensor {
  return tensor(value, [], dtype);
}

export function fill(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  checkShape('fill', shape);
  checkDType('fill', dtype);
  const values = new Float64Array(sizeOf(shape)).fill(value);
  return engine.makeTensor(toStorage(values, dtype), shape, dtype);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return fill(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return fill(shape, 1, dtype);
}

export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape, x.dtype);
}

export function onesLike(x: Tensor): Tensor {
  return ones(x.shape, x.dtype);
}

/** [start, stop) by step, like NumPy's arange; int32 when every argument is an integer. */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  for (const [name, value] of [['start', start], ['stop', stop]] as const)
    if (!Number.isFinite(value)) argumentError('arange', name, 'a finite number', String(value));
  if (step === 0 || !Number.isFinite(step)) argumentError('arange', 'step', 'a finite non-zero number', String(step));
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const values = new Float64Array(count);
  for (let index = 0; index < count; index++) values[index] = start + index * step;
  dtype ??= [start, stop, step].every(Number.isInteger) ? 'int32' : 'float32';
  return engine.makeTensor(toStorage(values, dtype), [count], dtype);
}

export interface RandomOptions {
  seed?: number;
  dtype?: DType;
}

function randomTensor(op: string, shape: Shape, options: RandomOptions, draw: (next: () => number) => number, useNormal: boolean): Tensor {
  checkShape(op, shape);
  const dtype = options.dtype ?? 'float32';
  checkDType(op, dtype);
  if (!isFloatDType(dtype)) argumentError(op, 'dtype', 'a float dtype', dtype);
  const generator = generatorFor(options.seed);
  const next = useNormal ? () => generator.nextNormal() : () => generator.nextFloat();
  const values = new Float32Array(sizeOf(shape));
  for (let index = 0; index < values.length; index++) values[index] = draw(next);
  return engine.makeTensor(toStorage(values, dtype), shape, dtype);
}

export function randomNormal(shape: Shape, options: RandomOptions & { mean?: number; stddev?: number } = {}): Tensor {
  const mean = options.mean ?? 0;
  const stddev = options.stddev ?? 1;
  return randomTensor('randomNormal', shape, options, (next) => mean + stddev * next(), true);
}

export function randomUniform(shape: Shape, options: RandomOptions & { minval?: number; maxval?: number } = {}): Tensor {
  const minval = options.minval ?? 0;
  const maxval = options.maxval ?? 1;
  if (!(maxval >= minval)) argumentError('randomUniform', 'maxval', `a number ≥ minval (${minval})`, String(maxval));
  return randomTensor('randomUniform', shape, options, (next) => minval + (maxval - minval) * next(), false);
}

/** Normal values redrawn until they fall within two standard deviations of the mean (as Keras). */
export function truncatedNormal(shape: Shape, options: RandomOptions & { mean?: number; stddev?: number } = {}): Tensor {
  const mean = options.mean ?? 0;
  const stddev = options.stddev ?? 1;
  return randomTensor(
    'truncatedNormal',
    shape,
    options,
    (next) => {
      let value = next();
      while (Math.abs(value) > 2) value = next();
      return mean + stddev * value;
    },
    true,
  );
}
