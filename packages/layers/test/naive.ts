// Brute-force references for the tests: einsum by looping over every assignment of the letters,
// and matmul on flat row-major arrays. Slow on purpose, and independent of core's einsum.

/** einsum for an explicit equation 'ab,bc->ac' (letters only) on flat row-major operands. */
export function naiveEinsum(equation: string, operands: { shape: readonly number[]; values: ArrayLike<number> }[]): { shape: number[]; values: number[] } {
  const [inputsText, outputText] = equation.split('->') as [string, string];
  const inputs = inputsText.split(',');
  const sizes = new Map<string, number>();
  inputs.forEach((letters, operand) => [...letters].forEach((letter, axis) => sizes.set(letter, operands[operand]!.shape[axis]!)));
  const letters = [...sizes.keys()];
  const outputShape = [...outputText].map((letter) => sizes.get(letter)!);
  const out = new Array<number>(outputShape.reduce((total, size) => total * size, 1)).fill(0);
  const offsetOf = (spec: string, shape: readonly number[], assignment: Map<string, number>) =>
    [...spec].reduce((offset, letter, axis) => offset * shape[axis]! + assignment.get(letter)!, 0);
  const assignment = new Map(letters.map((letter) => [letter, 0]));
  const total = letters.reduce((count, letter) => count * sizes.get(letter)!, 1);
  for (let step = 0; step < total; step++) {
    let rest = step;
    for (let index = letters.length - 1; index >= 0; index--) {
      const size = sizes.get(letters[index]!)!;
      assignment.set(letters[index]!, rest % size);
      rest = Math.floor(rest / size);
    }
    let product = 1;
    inputs.forEach((spec, operand) => (product *= operands[operand]!.values[offsetOf(spec, operands[operand]!.shape, assignment)]!));
    out[offsetOf(outputText, outputShape, assignment)]! += product;
  }
  return { shape: outputShape, values: out };
}

/** [m, k] @ [k, n] on flat arrays; `leading` copies of A share one B (A: [leading·m, k]). */
export function naiveMatMul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, inner: number, columns: number): number[] {
  const out = new Array<number>(rows * columns).fill(0);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++) {
      let total = 0;
      for (let k = 0; k < inner; k++) total += a[row * inner + k]! * b[k * columns + column]!;
      out[row * columns + column] = total;
    }
  return out;
}
