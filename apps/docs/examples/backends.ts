// Docs example (concepts.md): choosing a backend. The reference backend is registered by
// @tensorzoo/core itself; importing a backend's subpath registers that backend too.
// #region usage
import { getBackend, matMul, setBackend, tensor } from '@tensorzoo/core';
import { setWasmThreads } from '@tensorzoo/core/backends/wasm';

console.log(getBackend()); // 'reference': plain TypeScript, always available

await setWasmThreads(1); // optional: the default is one thread per available core
await setBackend('wasm'); // WebAssembly SIMD kernels
const x = tensor([[1, 2, 3]]);
const w = tensor([[1], [0], [-1]]);
const y = matMul(x, w);
console.log(getBackend(), y.arraySync()); // 'wasm' [[-2]]
x.dispose();
w.dispose();
y.dispose();

await setBackend('reference'); // switch back; tensors move to the active backend on first use
// #endregion usage

export { y };
