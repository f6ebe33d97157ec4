// Loading a quantized KerasHub preset into a GemmaBackbone whose quantized layers were built
// first (from the config's DTypePolicyMap), layer by layer as Keras's load_own_variables reads
// them: `<group>/vars/0..n-1` in the layer's serialization order (kernel, kernel_scale,
// kernel_zero, g_idx). int8 datasets become int8 tensors as stored (no float copy). KerasHub 0.32
// itself cannot do this: it builds the layers unquantized and fails with "Layer 'token_embedding'
// expected 1 variables, but received 0 variables during loading".
import { tensor, TensorzooError, type Tensor } from '@tensorzoo/core';
import type { Layer, Variable } from '@tensorzoo/layers';
import { gemmaLayerGroups, type KerasWeights, type StoredTensor } from '../io/index.js';
import type { GemmaBackbone } from './gemma-backbone.js';

// Keras's serialization order of a layer's variables (variable_serialization_spec): the table
// first, then its scale, zero point and group index. Gemma layers have no bias.
const serializationOrder = ['kernel', 'embeddings', 'scale', 'kernel_scale', 'embeddings_scale', 'kernel_zero', 'embeddings_zero', 'g_idx'];

/** A layer's own non-LoRA variables in Keras's serialization order. */
export function serializedVariables(layer: Layer): Variable[] {
  const own = layer.weights.filter((variable) => !variable.name.startsWith('lora_') && variable.path === `${layer.path}/${variable.name}`);
  const rank = (variable: Variable) => {
    const index = serializationOrder.indexOf(variable.name);
    return index === -1 ? serializationOrder.length : index;
  };
  return [...own].sort((a, b) => rank(a) - rank(b));
}

/** A stored tensor as a tensor of the variable's kind: int8 stays int8; floats keep their storage dtype. */
export function storedAsTensor(stored: StoredTensor): Tensor {
  switch (stored.dtype) {
    case 'int8':
      return tensor(stored.data as Int8Array, stored.shape, 'int8');
    case 'float32':
    case 'bfloat16':
    case 'float16':
      return tensor(stored.data as Float32Array | Uint16Array, stored.shape, stored.dtype);
    default:
      return tensor(Float32Array.from(stored.data as ArrayLike<number>, Number), stored.shape, 'float32');
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((size, axis) => size === b[axis]);

/**
 * Assigns every layer's variables from `weights`, checking first, per layer, that the group holds
 * exactly the variables the (quantized) layer has, with their shapes and integer dtypes: a scale
 * that does not match its kernel, or a float kernel where the policy says int8, is an error
 * naming the layer, its quantization and the file.
 */
export function loadLayerWeightsInto(backbone: GemmaBackbone, weights: KerasWeights, folder: string, onProgress?: (loaded: number, total: number) => void): void {
  const byPath = new Map(backbone.allLayers.map((layer) => [layer.path, layer]));
  const groups = gemmaLayerGroups(backbone.config);
  const quantizedLayers = backbone.config.quantizedLayers ?? {};
  groups.forEach(({ layerPath, group }, index) => {
    const layer = byPath.get(layerPath)!;
    const variables = serializedVariables(layer);
    const quantization = quantizedLayers[layerPath];
    const what = `layer '${layerPath}'${quantization ? ` (quantized ${quantization})` : ''}`;
    const stored: string[] = [];
    while (weights.has(`${group}/vars/${stored.length}`)) stored.push(`${group}/vars/${stored.length}`);
    const file = stored.length ? weights.info(stored[0]!).file : folder;
    const expected = variables.map((variable) => `${variable.name} [${variable.shape.join(', ')}] ${variable.dtype}`).join(', ');
    if (stored.length !== variables.length)
      throw new TensorzooError(
        `${file}: ${what} expected ${variables.length} variables (${expected}), but the file holds ${stored.length} in /${group}/vars` +
          (stored.length === 1 && quantization ? ' (a float layer: the config says quantized but the weights are not)' : ''),
      );
    variables.forEach((variable, position) => {
      const info = weights.info(stored[position]!);
      const kernel = variables[0]!;
      if (!sameShape(info.shape, variable.shape)) {
        const relation = position > 0 ? ` (for its ${kernel.name} [${kernel.shape.join(', ')}]${sameShape(weights.info(stored[0]!).shape, kernel.shape) ? '' : `, stored as [${weights.info(stored[0]!).shape.join(', ')}]`})` : '';
        throw new TensorzooError(`${info.file}: ${what}: ${variable.name} (/${stored[position]}) has shape [${info.shape.join(', ')}], expected [${variable.shape.join(', ')}]${relation}`);
      }
      if ((variable.dtype === 'int8') !== (info.dtype === 'int8'))
        throw new TensorzooError(`${info.file}: ${what}: ${variable.name} (/${stored[position]}) is stored as ${info.dtype}, expected ${variable.dtype}`);
    });
    variables.forEach((variable, position) => {
      const value = storedAsTensor(weights.get(stored[position]!));
      try {
        variable.assign(value);
      } finally {
        value.dispose();
      }
    });
    onProgress?.(index + 1, groups.length);
  });
}
