// gemmaLayoutMap against KerasHub itself: keras_gemma_tiny.layout.reference.json holds, for a
// 2 x 4 mesh named ('batch', 'model'), the layout GemmaBackbone.get_layout_map gives every
// variable of the keras_gemma_tiny preset (null: no layout) and the axis-name pairs KerasHub
// rejects.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeviceMesh, LayoutMap, TensorLayout, gemmaLayoutMap } from '../../src/distribution/index.js';

interface LayoutReference {
  mesh_shape: number[];
  variables: { path: string; shape: number[]; axes: (string | null)[] | null }[];
  errors: Record<string, string>;
}

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/keras_gemma_tiny.layout.reference.json', import.meta.url), 'utf8'),
) as LayoutReference;

const devices = (count: number) => Array.from({ length: count }, (_, index) => `gpu:${index}`);
const referenceMesh = () => new DeviceMesh(reference.mesh_shape, ['batch', 'model'], devices(8));

describe('gemmaLayoutMap', () => {
  it("gives every variable of keras_gemma_tiny KerasHub's layout", () => {
    const mesh = referenceMesh();
    const layoutMap = gemmaLayoutMap(mesh);
    expect(reference.variables.length).toBe(20);
    for (const variable of reference.variables) {
      const layout = layoutMap.get(variable.path);
      const axes = layout === undefined ? null : [...layout.axes];
      expect({ path: variable.path, axes }).toEqual({ path: variable.path, axes: variable.axes });
      if (layout !== undefined) {
        expect(layout.axes.length).toBe(variable.shape.length);
        expect(layout.deviceMesh).toBe(mesh);
      }
    }
  });

  it('has exactly the six keys of KerasHub', () => {
    expect([...gemmaLayoutMap(referenceMesh()).keys()]).toEqual([
      'token_embedding/embeddings',
      'decoder_block.*attention.*(query|key|value).kernel',
      'decoder_block.*attention_output.kernel',
      'decoder_block.*ffw_gating.kernel',
      'decoder_block.*ffw_gating_2.kernel',
      'decoder_block.*ffw_linear.kernel',
    ]);
  });

  it('leaves LoRA factors and Gemma 2 post norms replicated, as the KerasHub test pins', () => {
    const layoutMap = gemmaLayoutMap(referenceMesh());
    for (const path of [
      'decoder_block_0/attention/query/lora_kernel_a',
      'decoder_block_0/attention/query/lora_kernel_b',
      'decoder_block_3/attention/value/lora_kernel_a',
      'decoder_block_1/post_attention_norm/scale',
      'decoder_block_1/post_ffw_norm/scale',
    ])
      expect(layoutMap.get(path)).toBeUndefined();
  });

  it('follows custom axis names', () => {
    const mesh = new DeviceMesh([4, 2], ['data', 'tensor'], devices(8));
    const layoutMap = gemmaLayoutMap(mesh, 'tensor', 'data');
    expect(layoutMap.get('token_embedding/embeddings')!.axes).toEqual(['tensor', 'data']);
    expect(layoutMap.get('decoder_block_7/ffw_gating_2/kernel')!.axes).toEqual(['data', 'tensor']);
  });

  it('rejects the axis names KerasHub rejects, naming the unknown axis', () => {
    const mesh = referenceMesh();
    // The fixture records KerasHub's AttributeError (a typo in its message); this project raises
    // a clear error instead (spec decision 3).
    expect(Object.keys(reference.errors).sort()).toEqual(["('model', 'nope')", "('nope', 'batch')"]);
    expect(() => gemmaLayoutMap(mesh, 'model', 'nope')).toThrow(
      /dataParallelDimName "nope" is not an axis of the device mesh; the mesh's axes are \["batch","model"\]/,
    );
    expect(() => gemmaLayoutMap(mesh, 'nope', 'batch')).toThrow(
      /modelParallelDimName "nope" is not an axis of the device mesh/,
    );
    // The model axis is checked first, as in KerasHub.
    expect(() => gemmaLayoutMap(mesh, 'nope', 'also_nope')).toThrow(/modelParallelDimName "nope"/);
  });

  it('rejects something that is not a DeviceMesh', () => {
    expect(() => gemmaLayoutMap({ shape: [2, 4], axisNames: ['batch', 'model'] } as never)).toThrow(
      /gemmaLayoutMap: argument 'deviceMesh' expected a DeviceMesh/,
    );
  });

  it('returns a LayoutMap of TensorLayouts', () => {
    const layoutMap = gemmaLayoutMap(referenceMesh());
    expect(layoutMap).toBeInstanceOf(LayoutMap);
    for (const [, layout] of layoutMap) expect(layout).toBeInstanceOf(TensorLayout);
  });
});
