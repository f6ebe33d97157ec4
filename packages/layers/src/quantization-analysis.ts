// How a quantized EinsumDense/Dense kernel meets core's quantized products. Part one ports Keras
// 3.16's `_analyze_quantization_info` (einsum_dense.py): which input and kernel axes the einsum
// reduces, and how a per-channel scale computed with keepdims is moved into the output's layout
// (transpose, expand, squeeze) — that gives the stored `kernel_scale` shape, e.g. [1, 1, 4, 8] for
// 'btd,ndh->btnh'. Part two maps the einsum onto matMulInt8/matMulInt4's [G, K, N] contract:
// kernel = [G letters][reduced letters][N letters] in memory, the input permuted so that its
// reduced axes come last (in the kernel's order), the product [..., G·N] permuted to the output.
import { TensorzooError } from '@tensorzoo/core';
import { splitEinsumEquation } from './einsum-analysis.js';

export interface QuantizationInfo {
  inputSpec: string;
  kernelSpec: string;
  outputSpec: string;
  inputReducedAxes: number[];
  kernelReducedAxes: number[];
  inputTransposeAxes: number[];
  kernelTransposeAxes: number[];
  inputExpandAxes: number[];
  kernelExpandAxes: number[];
  inputSqueezeAxes: number[];
  kernelSqueezeAxes: number[];
  /** Keras's `_custom_gradient_equation`: output,kernel->input (the inputs' gradient). */
  gradientEquation: string;
}

/** Keras's `_analyze_quantization_info(equation, input_rank)`, elided dims named as Keras names them. */
export function analyzeQuantization(equation: string, inputRank: number): QuantizationInfo {
  const split = splitEinsumEquation(equation);
  let { inputSpec, outputSpec } = split;
  const kernelSpec = split.weightSpec;
  if (split.elision !== 'none') {
    const used = new Set(inputSpec + kernelSpec + outputSpec);
    const free = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((letter) => !used.has(letter)).sort();
    const elided = inputRank - inputSpec.length;
    for (let index = 0; index < elided; index++) {
      if (split.elision === 'left') {
        inputSpec = free[index]! + inputSpec;
        outputSpec = free[index]! + outputSpec;
      } else {
        inputSpec += free[index]!;
        outputSpec += free[index]!;
      }
    }
  }
  const reducedOf = (spec: string) => [...spec].flatMap((letter, index) => (outputSpec.includes(letter) ? [] : [index]));
  const expandOf = (spec: string) => [...outputSpec].flatMap((letter, index) => (spec.includes(letter) ? [] : [index]));
  const transposeOf = (spec: string) => [...outputSpec].flatMap((letter) => (spec.includes(letter) ? [spec.indexOf(letter)] : []));
  const post = (reduced: number[], expand: number[], transpose: number[]) => {
    const squeeze: number[] = [];
    let index = 0;
    for (const original of reduced) {
      if (expand.length) index = expand.shift()!;
      else squeeze.push(original);
      // Keras inserts at the last popped position (or the previous one when none is left).
      transpose.splice(index, 0, original);
    }
    return squeeze;
  };
  const inputReducedAxes = reducedOf(inputSpec);
  const kernelReducedAxes = reducedOf(kernelSpec);
  const inputExpandAxes = expandOf(inputSpec);
  const kernelExpandAxes = expandOf(kernelSpec);
  const inputTransposeAxes = transposeOf(inputSpec);
  const kernelTransposeAxes = transposeOf(kernelSpec);
  const inputSqueezeAxes = post(inputReducedAxes, inputExpandAxes, inputTransposeAxes);
  const kernelSqueezeAxes = post(kernelReducedAxes, kernelExpandAxes, kernelTransposeAxes);
  return {
    inputSpec,
    kernelSpec,
    outputSpec,
    inputReducedAxes,
    kernelReducedAxes,
    inputTransposeAxes,
    kernelTransposeAxes,
    inputExpandAxes,
    kernelExpandAxes,
    inputSqueezeAxes,
    kernelSqueezeAxes,
    gradientEquation: `${outputSpec},${kernelSpec}->${inputSpec}`,
  };
}

/**
 * Keras's `_get_kernel_scale_shape` (per channel): the kernel shape with reduced axes set to 1,
 * transposed, expanded and squeezed into the output's layout.
 */
export function kernelScaleShape(info: QuantizationInfo, kernelShape: readonly number[]): number[] {
  const withOnes = kernelShape.map((size, axis) => (info.kernelReducedAxes.includes(axis) ? 1 : size));
  const shape = info.kernelTransposeAxes.map((axis) => withOnes[axis]!);
  for (const axis of [...info.kernelExpandAxes].sort((a, b) => a - b)) shape.splice(axis, 0, 1);
  for (const axis of [...info.kernelSqueezeAxes].sort((a, b) => b - a)) shape.splice(axis, 1);
  return shape;
}

/** The einsum as one [M, K] × [G, K, N] product, with the permutations around it. */
export interface ProductPlan {
  /** Kernel letters before the reduced ones (G), the reduced ones (K), after (N). */
  groups: number;
  depth: number;
  columns: number;
  /** Input axes order that puts the reduced axes last, in the kernel's order; null when already so. */
  inputPermutation: number[] | null;
  /** Product dims [input free axes..., G letters..., N letters...] → output order; null when equal. */
  outputPermutation: number[] | null;
  /** The sizes of the product's dims before outputPermutation, from the input's free dims (null entries are taken at call time). */
  kernelFreeSizes: number[];
  /**
   * kernel_scale (Keras layout, G·N values in the output's order of the kernel's free letters) →
   * G·N order: the permutation of the free letters, or null when the output keeps the kernel's order.
   */
  scalePermutation: number[] | null;
  /** The kernel's free letters in the output's order, with their sizes (for scalePermutation). */
  scaleFreeSizes: number[];
  /** Rows and columns of Keras's raw-reshaped int4 matrix: rows = K, columns = G·N. */
  int4Rows: number;
  int4Columns: number;
}

const isIdentity = (permutation: number[]) => permutation.every((axis, index) => axis === index);

/**
 * Maps `info` onto the quantized products, or fails naming what the int8/int4 paths need: the
 * kernel's reduced letters contiguous, its other letters in the output and not in the input.
 */
export function planProduct(layerName: string, info: QuantizationInfo, kernelShape: readonly number[]): ProductPlan {
  const { inputSpec, kernelSpec, outputSpec } = info;
  const reducedLetters = info.kernelReducedAxes.map((axis) => kernelSpec[axis]!);
  const fail = (why: string): never => {
    throw new TensorzooError(`EinsumDense '${layerName}': the quantized (int8/int4) path cannot run the equation '${inputSpec},${kernelSpec}->${outputSpec}': ${why}`);
  };
  const first = info.kernelReducedAxes[0] ?? 0;
  if (info.kernelReducedAxes.some((axis, index) => axis !== first + index)) fail('the kernel axes it sums over must be adjacent');
  const inputFreeLetters = [...inputSpec].filter((letter) => outputSpec.includes(letter));
  const kernelFreeLetters = [...kernelSpec].filter((letter) => !reducedLetters.includes(letter));
  if (kernelFreeLetters.some((letter) => inputSpec.includes(letter))) fail('a kernel letter is also an input letter that is not summed (a batched kernel)');
  if (reducedLetters.some((letter) => !inputSpec.includes(letter))) fail('every letter it sums over must come from the input');
  if ([...inputSpec].some((letter) => !outputSpec.includes(letter) && !reducedLetters.includes(letter))) fail('an input letter is summed that is not in the kernel');
  const size = (axes: number[]) => axes.reduce((total, axis) => total * kernelShape[axis]!, 1);
  const groupAxes = [...Array(first).keys()];
  const columnAxes = [...Array(kernelSpec.length).keys()].filter((axis) => axis >= first + reducedLetters.length);
  const inputPermutation = [...inputFreeLetters, ...reducedLetters].map((letter) => inputSpec.indexOf(letter));
  const productLetters = [...inputFreeLetters, ...kernelFreeLetters];
  const outputPermutation = [...outputSpec].map((letter) => productLetters.indexOf(letter));
  const scaleLetters = [...outputSpec].filter((letter) => kernelFreeLetters.includes(letter));
  const scalePermutation = kernelFreeLetters.map((letter) => scaleLetters.indexOf(letter));
  const groups = size(groupAxes);
  const depth = size(info.kernelReducedAxes);
  const columns = size(columnAxes);
  return {
    groups,
    depth,
    columns,
    inputPermutation: isIdentity(inputPermutation) ? null : inputPermutation,
    outputPermutation: isIdentity(outputPermutation) ? null : outputPermutation,
    kernelFreeSizes: kernelFreeLetters.map((letter) => kernelShape[kernelSpec.indexOf(letter)]!),
    scalePermutation: isIdentity(scalePermutation) ? null : scalePermutation,
    scaleFreeSizes: scaleLetters.map((letter) => kernelShape[kernelSpec.indexOf(letter)]!),
    int4Rows: depth,
    int4Columns: groups * columns,
  };
}
