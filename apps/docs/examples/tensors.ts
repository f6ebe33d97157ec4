// Docs example (concepts.md, packages/core.md): tensors, broadcasting, matMul/einsum, tidy.
// #region usage
import { add, einsum, matMul, memory, softmax, sum, tensor, tidy } from '@tensorzoo/core';

const a = tensor([[1, 2], [3, 4]]); // float32, shape [2, 2]
const b = tensor([10, 20]); // shape [2] broadcasts over the rows, as in NumPy

const total = add(a, b);
console.log(total.shape, total.arraySync()); // [2, 2] [[11, 22], [13, 24]]

const product = matMul(a, a, { transposeB: true }); // a · aᵀ
const same = einsum('ij,kj->ik', a, a); // the same contraction, spelled as einsum
console.log(product.arraySync(), same.arraySync()); // [[5, 11], [11, 25]] twice

// tidy() disposes every tensor created inside it, except what it returns.
const before = memory().numTensors;
const rowSums = tidy(() => sum(softmax(matMul(a, a)), -1));
console.log(rowSums.arraySync()); // every softmax row sums to 1: [1, 1]
console.log(memory().numTensors - before); // 1: only rowSums is alive

for (const t of [a, b, total, product, same, rowSums]) t.dispose();
// #endregion usage

export { total, product, same, rowSums, before };
