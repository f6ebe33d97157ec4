// Docs example (packages/layers.md): Keras layers on tensorzoo tensors, and LoRA on a Dense layer.
// #region usage
import { randomNormal, tensor } from '@tensorzoo/core';
import { Dense, EinsumDense, RMSNormalization } from '@tensorzoo/layers';

const hidden = randomNormal([1, 4, 16], { seed: 0 }); // [batch, tokens, features]

// Layers build from the shape of their first input, as in Keras.
const norm = new RMSNormalization({ epsilon: 1e-6, name: 'norm' });
const query = new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 8], name: 'query' });
const projected = query.apply(norm.apply(hidden)) as ReturnType<typeof tensor>;
console.log(query.kernel.shape, projected.shape); // [2, 16, 8] [1, 4, 2, 8]

// LoRA: the kernel is frozen; only the two low-rank factors train.
const dense = new Dense({ units: 4, name: 'dense' });
dense.apply(hidden).dispose(); // builds: kernel [16, 4], bias [4]
dense.enableLora(2);
console.log(dense.trainableWeights.map((weight) => weight.path)); // ['dense/bias', 'dense/lora_kernel_a', 'dense/lora_kernel_b']
// #endregion usage

export { projected, query, dense };
