// KerasHub's GemmaBackbone.get_layout_map (keras_hub/src/models/gemma/gemma_backbone.py,
// spec gemma.md §5.4) as a function of the mesh alone, so it needs no model class:
// GemmaBackbone.getLayoutMap delegates here.
//
// Weights are split along the model axis and also along the data axis (FSDP-like), following the
// Gemma paper's training setup. Keys are regular expressions matched against whole variable paths
// (see LayoutMap); they carry no leading `.*`, which works because Gemma variable paths start at
// `token_embedding` / `decoder_block_<i>` with no model-name prefix. Norm scales and LoRA factors
// match no key and stay replicated: `query/lora_kernel_a` does not fullmatch
// `(query|key|value).kernel`, which allows exactly one character between the head name and
// `kernel`.
//
// Deliberate difference from KerasHub (project decision 3): KerasHub's axis-name checks build
// their message from a non-existent attribute and so raise AttributeError; here an unknown axis
// name is a TensorzooError that names it and lists the mesh's axes.
import { TensorzooError, argumentError } from '@tensorzoo/core';
import { DeviceMesh } from './device-mesh.js';
import { LayoutMap } from './layout-map.js';

function checkAxisName(argument: string, axisName: unknown, deviceMesh: DeviceMesh): string {
  if (typeof axisName !== 'string' || axisName.length === 0)
    argumentError('gemmaLayoutMap', argument, 'a mesh axis name (a non-empty string)', axisName);
  if (!deviceMesh.axisNames.includes(axisName))
    throw new TensorzooError(
      `gemmaLayoutMap: ${argument} ${JSON.stringify(axisName)} is not an axis of the device mesh; ` +
        `the mesh's axes are ${JSON.stringify(deviceMesh.axisNames)}`,
    );
  return axisName;
}

/**
 * The layout map KerasHub gives a Gemma backbone on `deviceMesh`. Validation order is KerasHub's:
 * the mesh type, then `modelParallelDimName`, then `dataParallelDimName`.
 */
export function gemmaLayoutMap(
  deviceMesh: DeviceMesh,
  modelParallelDimName = 'model',
  dataParallelDimName = 'batch',
): LayoutMap {
  if (!(deviceMesh instanceof DeviceMesh))
    argumentError('gemmaLayoutMap', 'deviceMesh', 'a DeviceMesh', deviceMesh);
  const model = checkAxisName('modelParallelDimName', modelParallelDimName, deviceMesh);
  const data = checkAxisName('dataParallelDimName', dataParallelDimName, deviceMesh);

  const layoutMap = new LayoutMap(deviceMesh);
  // Embedding (V, D): vocabulary on the model axis, hidden on the data axis (an exact-key hit).
  layoutMap.set('token_embedding/embeddings', [model, data]);
  // query/key/value kernels (heads, D, H).
  layoutMap.set('decoder_block.*attention.*(query|key|value).kernel', [model, data, null]);
  // attention_output kernel (N, H, D).
  layoutMap.set('decoder_block.*attention_output.kernel', [model, null, data]);
  // Feed-forward: gate and up kernels (D, F), down kernel (F, D).
  layoutMap.set('decoder_block.*ffw_gating.kernel', [data, model]);
  layoutMap.set('decoder_block.*ffw_gating_2.kernel', [data, model]);
  layoutMap.set('decoder_block.*ffw_linear.kernel', [model, data]);
  return layoutMap;
}
