// EinsumDense's equation analysis: from the equation, the input shape, the partial output shape and
// the bias axes, the kernel shape (with which kernel axes are input and which are output axes, for
// initializer fans), the bias shape and the full output shape. Follows Keras 3's rules
// (gemma.md §2.3): three accepted forms X,Y->Z / ...X,Y->...Z / X...,Y->Z... and its errors.
import { TensorzooError } from '@tensorzoo/core';
import type { Shape } from './layer.js';

export interface EinsumAnalysis {
  inputSpec: string;
  weightSpec: string;
  outputSpec: string;
  /** Which side the '...' is on, if any. */
  elision: 'none' | 'left' | 'right';
  /** The number of input dims the '...' covers. */
  elided: number;
  kernelShape: number[];
  /** Kernel axes whose letter comes from the input (count towards fan_in). */
  kernelInputAxes: number[];
  /** Kernel axes whose letter is in the output (count towards fan_out). */
  kernelOutputAxes: number[];
  biasShape: number[] | null;
  /** The output shape including the batch and elided dims; null where not known. */
  fullOutputShape: (number | null)[];
}

function fail(message: string): never {
  throw new TensorzooError(`EinsumDense: ${message}`);
}

const formatShape = (shape: Shape) => `[${shape.map((size) => size ?? 'null').join(', ')}]`;

/** Splits the equation into its specs, or fails as Keras does for anything it does not accept. */
export function splitEinsumEquation(equation: string): { inputSpec: string; weightSpec: string; outputSpec: string; elision: 'none' | 'left' | 'right' } {
  if (typeof equation !== 'string') fail(`argument 'equation' expected a string, received ${typeof equation}`);
  // Keras matches its patterns at the start of the equation only (re.match) and ignores any tail.
  const marked = equation.replace(/\.\.\./g, '0');
  let match = /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)/.exec(marked);
  if (match) return { inputSpec: match[1]!, weightSpec: match[2]!, outputSpec: match[3]!, elision: 'none' };
  match = /^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)/.exec(marked);
  if (match) return { inputSpec: match[1]!, weightSpec: match[2]!, outputSpec: match[3]!, elision: 'left' };
  match = /^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0/.exec(marked);
  if (match) return { inputSpec: match[1]!, weightSpec: match[2]!, outputSpec: match[3]!, elision: 'right' };
  return fail(
    `invalid einsum equation '${equation}': it must have the form X,Y->Z, ...X,Y->...Z or X...,Y->Z... ` +
      '(X, Y, Z made of letters; X at least two letters when the ellipsis is on the right)',
  );
}

/**
 * Kernel, bias and output shapes for `equation` applied to inputs of `inputShape`.
 * `outputShape` excludes the batch dim and the elided dims; null entries are unknown sizes.
 */
export function analyzeEinsum(equation: string, biasAxes: string | null, inputShape: Shape, outputShape: number | Shape): EinsumAnalysis {
  const { inputSpec, weightSpec, outputSpec, elision } = splitEinsumEquation(equation);
  const elided = inputShape.length - inputSpec.length;
  if (elided < 0 || (elision === 'none' && elided !== 0))
    fail(`the input spec '${inputSpec}' of '${equation}' needs inputs of rank ${elision === 'none' ? '' : '≥ '}${inputSpec.length}, received shape ${formatShape(inputShape)}`);
  if (inputShape.length === 0) fail(`inputs must have at least one dimension (the batch), received shape []`);
  const partial: (number | null)[] = typeof outputShape === 'number' ? [outputShape] : [...outputShape];
  // The full output shape: the batch dim first, then the elided dims where the ellipsis puts them.
  const full: (number | null)[] = [inputShape[0]!, ...partial];
  if (elided > 0 && elision === 'left') {
    // Keras inserts each elided dim at position 1, which reverses them when more than two are
    // elided; kept as is because it only affects this inferred shape, never a weight.
    for (let index = 1; index < elided; index++) full.splice(1, 0, inputShape[index]!);
  } else if (elided > 0 && elision === 'right') {
    for (let index = inputShape.length - elided; index < inputShape.length; index++) full.push(inputShape[index]!);
  }
  const offset = elision === 'left' ? elided : 0;
  if (full.length !== outputSpec.length + elided)
    fail(
      `outputShape ${formatShape(partial)} does not fit the output spec '${outputSpec}' of '${equation}': ` +
        `expected ${outputSpec.length + elided - (full.length - partial.length)} entries (the output's dims without the batch${elided ? ' and the elided ones' : ''})`,
    );
  const inputAxis = new Map([...inputSpec].map((letter, index) => [letter, index + offset]));
  const outputAxis = new Map([...outputSpec].map((letter, index) => [letter, index + offset]));

  for (const letter of inputSpec) {
    if (!outputAxis.has(letter)) continue;
    const inputSize = inputShape[inputAxis.get(letter)!];
    const outputSize = full[outputAxis.get(letter)!];
    if (outputSize !== null && outputSize !== undefined && inputSize !== null && outputSize !== inputSize)
      fail(`input and output shapes disagree at the shared dimension '${letter}': the input has ${inputSize}, the output ${outputSize}`);
  }
  for (const letter of outputSpec)
    if (!inputSpec.includes(letter) && !weightSpec.includes(letter))
      fail(`dimension '${letter}' of the output spec '${outputSpec}' is in neither the input spec '${inputSpec}' nor the weight spec '${weightSpec}'`);

  const kernelShape: number[] = [];
  const kernelInputAxes: number[] = [];
  const kernelOutputAxes: number[] = [];
  [...weightSpec].forEach((letter, axis) => {
    let size: number | null | undefined;
    if (outputAxis.has(letter)) {
      // An output letter: its size is the output's (or the input's, equal by the check above,
      // when the output leaves it null); it counts towards fan_out.
      size = full[outputAxis.get(letter)!] ?? (inputAxis.has(letter) ? inputShape[inputAxis.get(letter)!] : null);
      kernelOutputAxes.push(axis);
    } else if (inputAxis.has(letter)) {
      size = inputShape[inputAxis.get(letter)!];
      kernelInputAxes.push(axis);
    } else
      fail(
        `weight dimension '${letter}' has no match in the input spec '${inputSpec}' or the output spec '${outputSpec}'; ` +
          'every weight dimension must be fully specified by one of them',
      );
    if (typeof size !== 'number')
      fail(`the size of weight dimension '${letter}' is unknown: give it in outputShape (received ${formatShape(partial)}) or in the input shape ${formatShape(inputShape)}`);
    kernelShape.push(size);
  });

  let biasShape: number[] | null = null;
  if (biasAxes !== null && biasAxes !== undefined) {
    if (typeof biasAxes !== 'string' || biasAxes === '') fail(`argument 'biasAxes' expected a non-empty string of output letters or null, received ${JSON.stringify(biasAxes)}`);
    for (const letter of biasAxes)
      if (!outputSpec.includes(letter)) fail(`bias dimension '${letter}' was requested but is not part of the output spec '${outputSpec}'`);
    const first = Math.min(...[...biasAxes].map((letter) => outputSpec.indexOf(letter)));
    biasShape = [...outputSpec.slice(first)].map((letter) => {
      if (!biasAxes.includes(letter)) return 1;
      const size = full[outputAxis.get(letter)!];
      if (typeof size !== 'number') fail(`the size of bias dimension '${letter}' is unknown: give it in outputShape`);
      return size;
    });
    // Right-elided dims follow the spec's letters in the output: the bias broadcasts over them.
    if (elision === 'right') for (let index = 0; index < elided; index++) biasShape.push(1);
  }
  return { inputSpec, weightSpec, outputSpec, elision, elided, kernelShape, kernelInputAxes, kernelOutputAxes, biasShape, fullOutputShape: full };
}
