// einsum over any number of operands, composed from transpose, reshape, sum and batched matmul.
// Letters a-z/A-Z; `...` broadcasts right-aligned; size-1 dims broadcast against any size;
// implicit output (no `->`) is NumPy's: letters used once, in alphabetical order. A letter repeated
// within one operand (a diagonal) is rejected with a clear error.
import { argumentError } from '../errors.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertTensor } from './dispatch.js';
import { cast } from './elementwise.js';
import { matMul } from './mat-mul.js';
import { sum } from './reductions.js';
import { reshape, transpose } from './shape-ops.js';

interface Operand {
  tensor: Tensor;
  letters: string[];
}

const ellipsisLetter = (index: number) => String.fromCharCode(0x100 + index);

export function parseEinsum(equation: string, shapes: readonly (readonly number[])[]): { inputs: string[][]; output: string[] } {
  const op = 'einsum';
  if (typeof equation !== 'string') argumentError(op, 'equation', 'a string', typeof equation);
  const compact = equation.replace(/\s+/g, '');
  const arrowParts = compact.split('->');
  if (arrowParts.length > 2) argumentError(op, 'equation', 'at most one "->"', JSON.stringify(equation));
  const inputTexts = arrowParts[0]!.split(',');
  if (inputTexts.length !== shapes.length)
    argumentError(op, 'operands', `${inputTexts.length} operand(s) for equation ${JSON.stringify(equation)}`, `${shapes.length}`);
  const ellipsisRanks: number[] = [];
  const parsed = inputTexts.map((text, index) => {
    if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(text))
      argumentError(op, 'equation', `operand ${index} made of letters and at most one "..."`, JSON.stringify(text));
    const [before, after] = text.includes('...') ? text.split('...') : [text, undefined];
    const named = before!.length + (after?.length ?? 0);
    const rank = shapes[index]!.length;
    if (after === undefined ? named !== rank : named > rank)
      argumentError(op, `operands[${index}]`, `rank ${after === undefined ? named : `≥ ${named}`} for ${JSON.stringify(text)}`, `shape ${formatShape(shapes[index]!)}`);
    const ellipsisRank = after === undefined ? 0 : rank - named;
    ellipsisRanks.push(ellipsisRank);
    return { before: [...before!], after: after === undefined ? null : [...after], ellipsisRank };
  });
  const maxEllipsis = Math.max(0, ...ellipsisRanks);
  const inputs = parsed.map(({ before, after, ellipsisRank }, index) => {
    const letters = after === null ? before : [...before, ...Array.from({ length: ellipsisRank }, (_, k) => ellipsisLetter(maxEllipsis - ellipsisRank + k)), ...after];
    const seen = new Set<string>();
    for (const letter of letters) {
      if (seen.has(letter))
        argumentError(op, 'equation', `distinct letters within operand ${index} (diagonals are not supported)`, `${JSON.stringify(inputTexts[index])} repeating '${letter}'`);
      seen.add(letter);
    }
    return letters;
  });
  let output: string[];
  const ellipsis = Array.from({ length: maxEllipsis }, (_, k) => ellipsisLetter(k));
  if (arrowParts.length === 2) {
    const text = arrowParts[1]!;
    if (!/^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(text)) argumentError(op, 'equation', 'an output of letters and at most one "..."', JSON.stringify(text));
    if (maxEllipsis > 0 && !text.includes('...') && parsed.some((entry) => entry.after !== null && entry.ellipsisRank > 0))
      argumentError(op, 'equation', 'an output with "..." when inputs use "..." over non-empty dims', JSON.stringify(equation));
    const [before, after] = text.includes('...') ? text.split('...') : [text, ''];
    output = [...before!, ...(text.includes('...') ? ellipsis : []), ...after!];
    const all = new Set(inputs.flat());
    const seen = new Set<string>();
    for (const letter of output) {
      if (!all.has(letter) && letter.charCodeAt(0) < 0x100)
        argumentError(op, 'equation', `output letters that appear in an input`, `'${letter}' in ${JSON.stringify(equation)}`);
      if (seen.has(letter)) argumentError(op, 'equation', 'distinct output letters', `'${letter}' repeated`);
      seen.add(letter);
    }
    output = output.filter((letter) => all.has(letter));
  } else {
    const counts = new Map<string, number>();
    for (const letter of inputs.flat()) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    output = [...ellipsis.filter((letter) => counts.has(letter)), ...[...counts].filter(([letter, count]) => count === 1 && letter.charCodeAt(0) < 0x100).map(([letter]) => letter).sort()];
  }
  return { inputs, output };
}

export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  operands.forEach((operand, index) => assertTensor('einsum', `operands[${index}]`, operand));
  if (operands.length === 0) argumentError('einsum', 'operands', 'at least one tensor', 'none');
  const { inputs, output } = parseEinsum(equation, operands.map((operand) => operand.shape));
  const sizes = new Map<string, number>();
  inputs.forEach((letters, index) =>
    letters.forEach((letter, axis) => {
      const size = operands[index]!.shape[axis]!;
      const known = sizes.get(letter);
      if (known !== undefined && known !== size && known !== 1 && size !== 1)
        argumentError('einsum', `operands[${index}]`, `size ${known} for '${letter.charCodeAt(0) >= 0x100 ? '...' : letter}' (axis ${axis})`, `shape ${formatShape(operands[index]!.shape)}`);
      if (known === undefined || known === 1) sizes.set(letter, size);
    }),
  );
  const allInt = operands.every((operand) => operand.dtype === 'int32');
  const owned = new Set<Tensor>();
  let pending: Operand[] = operands.map((operand, index) => {
    const tensor = allInt || operand.dtype === 'float32' ? operand : cast(operand, 'float32');
    if (tensor !== operand) owned.add(tensor);
    return { tensor, letters: inputs[index]! };
  });
  const release = (tensor: Tensor) => {
    if (owned.delete(tensor)) tensor.dispose();
  };
  const adopt = (tensor: Tensor, previous: Tensor): Tensor => {
    if (tensor !== previous) {
      release(previous);
      owned.add(tensor);
    }
    return tensor;
  };
  while (pending.length > 1) {
    const [first, second, ...rest] = pending as [Operand, Operand, ...Operand[]];
    const needed = new Set([...output, ...rest.flatMap((operand) => operand.letters)]);
    const contracted = contractPair(first, second, needed, adopt);
    pending = [contracted, ...rest];
  }
  const last = pending[0]!;
  const reduceAxes = last.letters.flatMap((letter, axis) => (output.includes(letter) ? [] : [axis]));
  let tensor = last.tensor;
  let letters = last.letters;
  if (reduceAxes.length) {
    tensor = adopt(sum(tensor, reduceAxes), tensor);
    letters = letters.filter((letter) => output.includes(letter));
  }
  const perm = output.map((letter) => letters.indexOf(letter));
  const result = transpose(tensor, perm);
  release(tensor);
  for (const leftover of owned) leftover.dispose();
  return result;
}

function contractPair(a: Operand, b: Operand, keep: Set<string>, adopt: (tensor: Tensor, previous: Tensor) => Tensor): Operand {
  const sumOwn = (operand: Operand, other: Operand): Operand => {
    const axes = operand.letters.flatMap((letter, axis) => (!keep.has(letter) && !other.letters.includes(letter) ? [axis] : []));
    if (!axes.length) return operand;
    return { tensor: adopt(sum(operand.tensor, axes), operand.tensor), letters: operand.letters.filter((_, axis) => !axes.includes(axis)) };
  };
  let left = sumOwn(a, b);
  let right = sumOwn(b, left);
  // A shared letter of size 1 on one side broadcasts: drop it there (summing it out of the other
  // side first when the output does not keep it).
  for (const letter of left.letters.filter((candidate) => right.letters.includes(candidate))) {
    const sizeLeft = left.tensor.shape[left.letters.indexOf(letter)]!;
    const sizeRight = right.tensor.shape[right.letters.indexOf(letter)]!;
    if (sizeLeft === sizeRight) continue;
    const [small, large] = sizeLeft === 1 ? [left, right] : [right, left];
    const dropped = dropAxis(small, letter, adopt);
    let grown = large;
    if (!keep.has(letter)) {
      const axis = large.letters.indexOf(letter);
      grown = { tensor: adopt(sum(large.tensor, [axis]), large.tensor), letters: large.letters.filter((_, index) => index !== axis) };
    }
    if (small === left) [left, right] = [dropped, grown];
    else [left, right] = [grown, dropped];
  }
  const batch = left.letters.filter((letter) => right.letters.includes(letter) && keep.has(letter));
  const contracted = left.letters.filter((letter) => right.letters.includes(letter) && !keep.has(letter));
  const freeLeft = left.letters.filter((letter) => !right.letters.includes(letter));
  const freeRight = right.letters.filter((letter) => !left.letters.includes(letter));
  const sizeOfLetters = (operand: Operand, letters: string[]) => letters.map((letter) => operand.tensor.shape[operand.letters.indexOf(letter)]!);
  const batchShape = sizeOfLetters(left, batch);
  const leftFreeShape = sizeOfLetters(left, freeLeft);
  const rightFreeShape = sizeOfLetters(right, freeRight);
  const contractedSize = sizeOf(sizeOfLetters(left, contracted));
  const leftMoved = transpose(left.tensor, [...batch, ...freeLeft, ...contracted].map((letter) => left.letters.indexOf(letter)));
  const left3 = reshape(leftMoved, [sizeOf(batchShape), sizeOf(leftFreeShape), contractedSize]);
  leftMoved.dispose();
  const rightMoved = transpose(right.tensor, [...batch, ...contracted, ...freeRight].map((letter) => right.letters.indexOf(letter)));
  const right3 = reshape(rightMoved, [sizeOf(batchShape), contractedSize, sizeOf(rightFreeShape)]);
  rightMoved.dispose();
  const product = matMul(left3, right3);
  left3.dispose();
  right3.dispose();
  const shaped = reshape(product, [...batchShape, ...leftFreeShape, ...rightFreeShape]);
  product.dispose();
  adopt(shaped, left.tensor);
  adopt(shaped, right.tensor);
  return { tensor: shaped, letters: [...batch, ...freeLeft, ...freeRight] };
}

function dropAxis(operand: Operand, letter: string, adopt: (tensor: Tensor, previous: Tensor) => Tensor): Operand {
  const axis = operand.letters.indexOf(letter);
  const shape = operand.tensor.shape.filter((_, index) => index !== axis);
  return { tensor: adopt(reshape(operand.tensor, shape), operand.tensor), letters: operand.letters.filter((_, index) => index !== axis) };
}
