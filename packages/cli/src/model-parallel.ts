// --model-parallel N and --dtype for generate and forward: N wasm shard workers, each with its own
// WebAssembly memory, on a DeviceMesh([1, N], ['batch', 'model']) placed by GemmaBackbone.getLayoutMap
// (Keras's ModelParallel); --dtype picks the variable dtype (KerasHub loads float32 whatever the
// preset stores; bfloat16 halves the memory of a bfloat16 preset).
import { DeviceMesh, GemmaBackbone, ModelParallel } from '@tensorzoo/models';
import { choiceOption, integerOption } from './usage.js';

export const modelParallelOptions = {
  'model-parallel': { type: 'string' },
  dtype: { type: 'string' },
} as const;

export const modelParallelHelp: [string, string][] = [
  ['--model-parallel N', 'run tensor-parallel over N wasm shard workers (each its own 4 GiB memory), as GemmaBackbone.getLayoutMap places the weights'],
  ['--dtype D', 'variable dtype: float32 (default, as KerasHub) or bfloat16'],
];

/** The distribution for --model-parallel N (undefined without it), and the --dtype. */
export function modelParallelOption(
  command: string,
  values: Record<string, string | boolean | undefined>,
): { distribution?: ModelParallel; dtype?: 'float32' | 'bfloat16' } {
  const shards = integerOption(command, 'model-parallel', values['model-parallel'], 1, 64);
  const dtype = choiceOption(command, 'dtype', values.dtype, ['float32', 'bfloat16'] as const);
  if (shards === undefined) return { dtype };
  const mesh = new DeviceMesh([1, shards], ['batch', 'model'], Array.from({ length: shards }, (_, index) => `wasm:${index}`));
  return { distribution: new ModelParallel({ layoutMap: GemmaBackbone.getLayoutMap(mesh), batchDimName: 'batch' }), dtype };
}
