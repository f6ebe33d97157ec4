// Docs example (gemma.md): KerasHub's layout map for model parallelism, on a 2 × 4 device mesh.
// #region usage
import { DeviceMesh, GemmaBackbone } from '@tensorzoo/models';

const devices = Array.from({ length: 8 }, (_, index) => `gpu:${index}`);
const mesh = new DeviceMesh([2, 4], ['batch', 'model'], devices);
const layoutMap = GemmaBackbone.getLayoutMap(mesh); // model axis 'model', data axis 'batch'

for (const [key, layout] of layoutMap) console.log(key, layout.axes);
// A variable path is matched against the keys (regular expressions), as Keras does:
console.log(layoutMap.get('decoder_block_0/attention/query/kernel')?.axes); // [ 'model', 'batch', null ]
// #endregion usage

export { mesh, layoutMap };
