// einsum against its definition (an explicit loop nest over every index letter) on many seeded
// random equations: random letters (lower and upper case), summed indices, size-1 broadcasting,
// ellipsis, 1–3 operands, explicit and implicit outputs; plus Gemma's equations and the errors.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, randomIntTensor, readAndDispose, TestRandom } from './harness.js';
import { naiveEinsum, type Plain } from './naive.js';

const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface RandomEquation {
  equation: string;
  shapes: number[][];
}

/** A random valid equation and operand shapes (see the file comment for what it covers). */
function randomEquation(random: TestRandom): RandomEquation {
  const operandCount = random.int(1, 3);
  const pool = random.shuffle([...alphabet]).slice(0, random.int(2, 6));
  const letterSize = new Map(pool.map((letter) => [letter, random.next() < 0.03 ? 0 : random.int(2, 3)]));
  const ellipsisDims = random.next() < 0.3 ? random.shape(random.int(1, 2), 1, 3) : null;
  const texts: string[] = [];
  const shapes: number[][] = [];
  let anyEllipsis = false;
  for (let operand = 0; operand < operandCount; operand++) {
    const rank = random.next() < 0.1 ? 0 : random.int(1, Math.min(4, pool.length));
    const letters = random.shuffle(pool).slice(0, rank);
    // A letter may be size 1 in one operand and broadcast against its size elsewhere.
    let shape = letters.map((letter) => (random.next() < 0.12 ? 1 : letterSize.get(letter)!));
    let text = letters.join('');
    if (ellipsisDims && random.next() < 0.8) {
      anyEllipsis = true;
      const own = random.int(0, ellipsisDims.length);
      const dims = ellipsisDims.slice(ellipsisDims.length - own).map((dimension) => (random.next() < 0.2 ? 1 : dimension));
      const at = random.int(0, letters.length);
      text = letters.slice(0, at).join('') + '...' + letters.slice(at).join('');
      shape = [...shape.slice(0, at), ...dims, ...shape.slice(at)];
    }
    texts.push(text);
    shapes.push(shape);
  }
  const used = [...new Set(texts.join('').replace(/\./g, ''))];
  let equation = texts.join(',');
  if (random.next() < 0.75) {
    const output = random.shuffle(used).slice(0, random.int(0, used.length));
    let outputText = output.join('');
    if (anyEllipsis) {
      const at = random.int(0, output.length);
      outputText = output.slice(0, at).join('') + '...' + output.slice(at).join('');
    }
    equation += '->' + outputText;
  } else if (random.next() < 0.3) equation = equation.replace(/,/g, ', ');
  return { equation, shapes };
}

describeBackends('einsum', ({ test }) => {
  for (let block = 0; block < 10; block++) {
    test(`random equations, block ${block} (50 equations against the explicit loop nest)`, async () => {
      const random = new TestRandom(1000 + block);
      for (let count = 0; count < 50; count++) {
        const { equation, shapes } = randomEquation(random);
        const inputs = shapes.map((shape) => randomFloatTensor(random, shape));
        const expected = naiveEinsum(equation, inputs.map((input): Plain => ({ values: input.values, shape: input.shape })));
        let read;
        try {
          read = await readAndDispose(tz.einsum(equation, ...inputs.map((input) => input.tensor)));
        } catch (error) {
          throw new Error(`einsum ${JSON.stringify(equation)} with shapes ${JSON.stringify(shapes)} threw: ${(error as Error).message}`);
        }
        expect(read.shape, `${equation} with shapes ${JSON.stringify(shapes)}`).toEqual(expected.shape);
        try {
          expectClose(read.values, expected.values, 1e-5, 1e-5);
        } catch (error) {
          throw new Error(`${equation} with shapes ${JSON.stringify(shapes)}: ${(error as Error).message}`);
        }
        for (const input of inputs) input.tensor.dispose();
      }
    });
  }

  // Gemma's projections and attention (with a grouped-query variant), at small sizes.
  const gemmaCases: [string, number[][]][] = [
    ['btd,ndh->btnh', [[2, 3, 8], [4, 8, 5]]],
    ['bsd,kdh->bskh', [[2, 3, 8], [1, 8, 5]]],
    ['btnh,nhd->btd', [[2, 3, 4, 5], [4, 5, 8]]],
    ['btd,df->btf', [[2, 3, 8], [8, 6]]],
    ['btf,fd->btd', [[2, 3, 6], [6, 8]]],
    ['btnh,bsnh->bnts', [[2, 3, 4, 5], [2, 6, 4, 5]]],
    ['bnts,bsnh->btnh', [[2, 4, 3, 6], [2, 6, 4, 5]]],
    ['btkgh,bskh->bkgts', [[2, 3, 2, 2, 5], [2, 6, 2, 5]]],
    ['bkgts,bskh->btkgh', [[2, 2, 2, 3, 6], [2, 6, 2, 5]]],
    ['btnh,bsnh->btns', [[1, 1, 8, 4], [1, 7, 8, 4]]],
  ];
  for (const [equation, shapes] of gemmaCases)
    test(`Gemma equation ${equation}`, async () => {
      const random = new TestRandom(equation.length * 31);
      const inputs = shapes.map((shape) => randomFloatTensor(random, shape));
      const expected = naiveEinsum(equation, inputs.map((input) => ({ values: input.values, shape: input.shape })));
      const read = await readAndDispose(tz.einsum(equation, ...inputs.map((input) => input.tensor)));
      expect(read.shape).toEqual(expected.shape);
      expectClose(read.values, expected.values, 1e-5, 1e-5);
      for (const input of inputs) input.tensor.dispose();
    });

  test('hand-computed: matrix product, dot, outer, transpose, trace-free sums', async () => {
    const a = tz.tensor([[1, 2], [3, 4]]);
    const b = tz.tensor([[5, 6], [7, 8]]);
    const vector = tz.tensor([1, 2]);
    await expectTensor(tz.einsum('ij,jk->ik', a, b), [2, 2], 'float32', [19, 22, 43, 50]);
    await expectTensor(tz.einsum('ij,jk', a, b), [2, 2], 'float32', [19, 22, 43, 50]);
    await expectTensor(tz.einsum('i,i->', vector, vector), [], 'float32', [5]);
    await expectTensor(tz.einsum('i,j->ij', vector, vector), [2, 2], 'float32', [1, 2, 2, 4]);
    await expectTensor(tz.einsum('ij->ji', a), [2, 2], 'float32', [1, 3, 2, 4]);
    await expectTensor(tz.einsum('ij->', a), [], 'float32', [10]);
    await expectTensor(tz.einsum('ij->j', a), [2], 'float32', [4, 6]);
    await expectTensor(tz.einsum('ij', a), [2, 2], 'float32', [1, 2, 3, 4]);
    await expectTensor(tz.einsum('ji', a), [2, 2], 'float32', [1, 3, 2, 4]);
    await expectTensor(tz.einsum('ij,ij->ij', a, b), [2, 2], 'float32', [5, 12, 21, 32]);
    await expectTensor(tz.einsum('...ij,...jk->...ik', a, b), [2, 2], 'float32', [19, 22, 43, 50]);
    tz.dispose([a, b, vector]);
  });

  test('size-1 dims broadcast against the other operand', async () => {
    const a = tz.tensor([[1], [2]]); // [2, 1] as ij with j broadcast
    const b = tz.tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
    await expectTensor(tz.einsum('ij,ij->ij', a, b), [2, 3], 'float32', [1, 2, 3, 8, 10, 12]);
    await expectTensor(tz.einsum('ij,ij->i', a, b), [2], 'float32', [6, 30]);
    tz.dispose([a, b]);
  });

  test('int32 operands stay int32; mixed dtypes compute in float32', async () => {
    const random = new TestRandom(12);
    const a = randomIntTensor(random, [2, 3], -4, 4);
    const b = randomIntTensor(random, [3, 2], -4, 4);
    const expected = naiveEinsum('ij,jk->ik', [{ values: a.values, shape: [2, 3] }, { values: b.values, shape: [3, 2] }]);
    await expectTensor(tz.einsum('ij,jk->ik', a.tensor, b.tensor), [2, 2], 'int32', expected.values);
    const half = tz.cast(b.tensor, 'bfloat16');
    await expectTensor(tz.einsum('ij,jk->ik', a.tensor, half), [2, 2], 'float32', expected.values);
    tz.dispose([a.tensor, b.tensor, half]);
  });

  test('parseEinsum exposes the resolved letters', () => {
    expect(tz.parseEinsum('ij,jk', [[2, 3], [3, 4]])).toEqual({ inputs: [['i', 'j'], ['j', 'k']], output: ['i', 'k'] });
    expect(tz.parseEinsum('Ba,aB->', [[2, 3], [3, 2]]).output).toEqual([]);
  });
});

describeBackends('einsum errors', ({ test }) => {
  test('operand count, rank and size mismatches', () => {
    const a = tz.zeros([2, 3]);
    const b = tz.zeros([4, 5]);
    expectError(() => tz.einsum('ij,jk->ik', a), 'einsum', "argument 'operands'", '2 operand(s)', 'received 1');
    expectError(() => tz.einsum('ijk->i', a), 'einsum', "argument 'operands[0]'", 'rank 3', '[2, 3]');
    expectError(() => tz.einsum('ij,jk->ik', a, b), 'einsum', "argument 'operands[1]'", "size 3 for 'j'", '[4, 5]');
    expectError(() => tz.einsum('ij->ij'), 'einsum', "argument 'operands'", 'at least one tensor');
    tz.dispose([a, b]);
  });

  test('malformed equations', () => {
    const a = tz.zeros([2, 3]);
    expectError(() => tz.einsum('ii->i', a), 'einsum', "argument 'equation'", 'distinct letters', "repeating 'i'");
    expectError(() => tz.einsum('i1->i', a), 'einsum', "argument 'equation'", 'letters', '"i1"');
    expectError(() => tz.einsum('ij->k', a), 'einsum', "argument 'equation'", 'output letters that appear in an input', "'k'");
    expectError(() => tz.einsum('ij->ii', a), 'einsum', "argument 'equation'", 'distinct output letters', "'i'");
    expectError(() => tz.einsum('ij->i.j', a), 'einsum', "argument 'equation'", 'an output of letters', '"i.j"');
    expectError(() => tz.einsum('ij->i->j', a), 'einsum', "argument 'equation'", 'at most one "->"');
    expectError(() => tz.einsum('...i...->i', a), 'einsum', "argument 'equation'", 'at most one "..."');
    expectError(() => tz.einsum(7 as unknown as string, a), 'einsum', "argument 'equation'", 'a string', 'number');
    a.dispose();
  });

  test('an ellipsis over real dims needs one in the output', () => {
    const a = tz.zeros([4, 2, 3]);
    expectError(() => tz.einsum('...ij->ij', a), 'einsum', "argument 'equation'", 'an output with "..."');
    a.dispose();
  });

  test('non-tensor operands', () => {
    expectError(() => tz.einsum('i->i', [1, 2] as unknown as tz.Tensor), 'einsum', "argument 'operands[0]'", 'a Tensor');
  });
});
