// DataParallel and ModelParallel: Keras 3's answers for variables, inputs and intermediate tensors
// (spec gemma.md §5.3), with the Gemma layout map of the keras_gemma_tiny fixture.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataParallel, DeviceMesh, LayoutMap, ModelParallel, TensorLayout, gemmaLayoutMap } from '../../src/distribution/index.js';

const devices = (count: number) => Array.from({ length: count }, (_, index) => `gpu:${index}`);
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/keras_gemma_tiny.layout.reference.json', import.meta.url), 'utf8'),
) as { variables: { path: string; shape: number[]; axes: (string | null)[] | null }[] };

describe('ModelParallel', () => {
  const mesh = new DeviceMesh([2, 4], ['batch', 'model'], devices(8));

  it("lays out keras_gemma_tiny's variables by the Gemma layout map, replicating the rest", () => {
    const distribution = new ModelParallel({ layoutMap: gemmaLayoutMap(mesh), batchDimName: 'batch' });
    for (const variable of reference.variables) {
      const layout = distribution.getVariableLayout(variable);
      expect(layout.axes).toEqual(variable.axes ?? new Array(variable.shape.length).fill(null));
      expect(layout.deviceMesh).toBe(mesh);
    }
    expect(distribution.numModelReplicas).toBe(2);
    expect(distribution.getDataLayout([2, 12]).axes).toEqual(['batch', null]);
    expect(distribution.getTensorLayout('decoder_block_0/ffw_linear/kernel')!.axes).toEqual(['model', 'batch']);
  });

  it("prefers a variable's own layout and checks ranks", () => {
    const distribution = new ModelParallel({ layoutMap: gemmaLayoutMap(mesh) });
    expect(distribution.batchDimName).toBe('batch');
    const own = new TensorLayout([null, 'model'], mesh);
    expect(distribution.getVariableLayout({ path: 'token_embedding/embeddings', shape: [2048, 48], layout: own })).toBe(own);
    expect(() => distribution.getVariableLayout({ path: 'token_embedding/embeddings', shape: [2048] })).toThrow(
      /the layout map entry for variable "token_embedding\/embeddings" has 2 axes \["model","batch"\], but the variable has shape \[2048\] \(rank 1\)/,
    );
  });

  it('rejects a missing layout map and an unknown batch axis', () => {
    expect(() => new ModelParallel({} as never)).toThrow(/argument 'options.layoutMap' expected a LayoutMap \(you must specify a layout map\)/);
    expect(() => new ModelParallel({ layoutMap: {} as never })).toThrow(/argument 'options.layoutMap' expected a LayoutMap/);
    expect(() => new ModelParallel({ layoutMap: new LayoutMap(mesh), batchDimName: 'data' })).toThrow(
      /batchDimName "data" is not an axis of the layout map's device mesh; the mesh's axes are \["batch","model"\]/,
    );
  });
});

describe('DataParallel', () => {
  it('builds a 1-D "batch" mesh over the given devices and replicates variables', () => {
    const distribution = new DataParallel({ devices: devices(4) });
    expect(distribution.deviceMesh.shape).toEqual([4]);
    expect(distribution.deviceMesh.axisNames).toEqual(['batch']);
    expect(distribution.numModelReplicas).toBe(4);
    expect(distribution.getVariableLayout({ path: 'decoder_block_0/attention/query/kernel', shape: [4, 48, 16] }).axes).toEqual([null, null, null]);
    expect(distribution.getDataLayout([8, 12, 48]).axes).toEqual(['batch', null, null]);
    expect(distribution.getTensorLayout('anything')).toBeUndefined();
  });

  it('defaults to listDevices() and takes the first axis of a given mesh as the batch axis', () => {
    expect(new DataParallel().deviceMesh.deviceList).toEqual(['cpu:0']);
    const mesh = new DeviceMesh([2, 4], ['data', 'model'], devices(8));
    const distribution = new DataParallel({ deviceMesh: mesh });
    expect(distribution.batchDimName).toBe('data');
    expect(distribution.numModelReplicas).toBe(8);
    expect(() => new DataParallel({ deviceMesh: {} as never })).toThrow(/argument 'options.deviceMesh' expected a DeviceMesh/);
    expect(() => distribution.getDataLayout([])).toThrow(/argument 'dataShape' expected a shape of rank 1 or more/);
  });
});
