// DeviceMesh, TensorLayout and LayoutMap: Keras 3's validation and lookup rules (spec gemma.md
// §5.1, §5.2).
import { describe, expect, it } from 'vitest';
import { DeviceMesh, LayoutMap, TensorLayout, listDevices } from '../../src/distribution/index.js';

const devices = (count: number) => Array.from({ length: count }, (_, index) => `gpu:${index}`);

describe('DeviceMesh', () => {
  it('stores shape, axis names and the devices reshaped row-major', () => {
    const mesh = new DeviceMesh([2, 4], ['batch', 'model'], devices(8));
    expect(mesh.shape).toEqual([2, 4]);
    expect(mesh.axisNames).toEqual(['batch', 'model']);
    expect(mesh.devices).toEqual([
      ['gpu:0', 'gpu:1', 'gpu:2', 'gpu:3'],
      ['gpu:4', 'gpu:5', 'gpu:6', 'gpu:7'],
    ]);
    expect(mesh.deviceList).toEqual(devices(8));
    expect(mesh.axisSize('model')).toBe(4);
    expect(() => mesh.axisSize('nope')).toThrow(/argument 'axisName' expected one of the mesh's axis names \["batch","model"\], received "nope"/);
  });

  it('reshapes three-dimensional meshes', () => {
    const mesh = new DeviceMesh([2, 1, 2], ['a', 'b', 'c'], devices(4));
    expect(mesh.devices).toEqual([[['gpu:0', 'gpu:1']], [['gpu:2', 'gpu:3']]]);
  });

  it('defaults to listDevices(), as Keras does', () => {
    expect(listDevices()).toEqual(['cpu:0']);
    expect(listDevices('GPU')).toEqual([]);
    expect(new DeviceMesh([1], ['batch']).deviceList).toEqual(['cpu:0']);
    expect(() => new DeviceMesh([2, 4], ['batch', 'model'])).toThrow(
      /shape \[2, 4\] needs 8 devices, but 'devices' \(the default, listDevices\(\)\) has 1/,
    );
  });

  it('rejects bad input with errors naming the argument', () => {
    expect(() => new DeviceMesh([], [], [])).toThrow(/argument 'shape' expected a non-empty array/);
    expect(() => new DeviceMesh([2, 0], ['a', 'b'], [])).toThrow(/argument 'shape'/);
    expect(() => new DeviceMesh([2, 1.5], ['a', 'b'], [])).toThrow(/argument 'shape'/);
    expect(() => new DeviceMesh([2], [], devices(2))).toThrow(/argument 'axisNames' expected a non-empty array/);
    expect(() => new DeviceMesh([2, 4], ['batch'], devices(8))).toThrow(
      /argument 'axisNames' expected one name per mesh dimension \(2 for shape \[2, 4\]\), received 1 names \["batch"\]/,
    );
    expect(() => new DeviceMesh([2, 2], ['a', 'a'], devices(4))).toThrow(/distinct axis names/);
    expect(() => new DeviceMesh([2, 4], ['batch', 'model'], devices(6))).toThrow(/needs 8 devices, but 'devices' has 6/);
    expect(() => new DeviceMesh([2], ['batch'], ['gpu:0', 'gpu:0'])).toThrow(/distinct device names/);
    expect(() => new DeviceMesh([1], ['batch'], ['my gpu'])).toThrow(/"<platform>:<index>"/);
  });
});

describe('TensorLayout', () => {
  const mesh = new DeviceMesh([2, 4], ['batch', 'model'], devices(8));

  it('checks axes against an attached mesh', () => {
    const layout = new TensorLayout(['model', null, 'batch'], mesh);
    expect(layout.axes).toEqual(['model', null, 'batch']);
    expect(layout.deviceMesh).toBe(mesh);
    expect(() => new TensorLayout(['model', 'nope'], mesh)).toThrow(
      /axis "nope" in axes \["model","nope"\] is not an axis of the device mesh; expected one of \["batch","model"\] or null/,
    );
  });

  it('lets the mesh be set once', () => {
    const layout = new TensorLayout([null, 'model']);
    expect(layout.deviceMesh).toBeUndefined();
    layout.deviceMesh = mesh;
    expect(layout.deviceMesh).toBe(mesh);
    expect(() => {
      layout.deviceMesh = mesh;
    }).toThrow(/already has a device mesh/);
  });

  it('rejects malformed axes', () => {
    expect(() => new TensorLayout('model' as never)).toThrow(/argument 'axes' expected an array/);
    expect(() => new TensorLayout([undefined] as never)).toThrow(/argument 'axes' expected entries that are mesh axis names/);
    expect(() => new TensorLayout(['model', 'model'])).toThrow(/each mesh axis used for at most one dimension/);
  });
});

describe('LayoutMap', () => {
  const mesh = new DeviceMesh([2, 4], ['batch', 'model'], devices(8));

  it('matches keys as whole-path regular expressions (re.fullmatch)', () => {
    const layoutMap = new LayoutMap(mesh);
    layoutMap.set('dense.*kernel', ['batch', 'model']);
    expect(layoutMap.get('dense_1/kernel')!.axes).toEqual(['batch', 'model']);
    // re.search would find these; re.fullmatch does not.
    expect(layoutMap.get('outer/dense_1/kernel')).toBeUndefined();
    expect(layoutMap.get('dense_1/kernel_extra')).toBeUndefined();
  });

  it('keeps an alternation inside the anchors', () => {
    const layoutMap = new LayoutMap(mesh);
    layoutMap.set('a|b', [null]);
    expect(layoutMap.get('a')).toBeDefined();
    expect(layoutMap.get('ab')).toBeUndefined();
    expect(layoutMap.get('xb')).toBeUndefined();
  });

  it('prefers an exact key over regular expressions that also match', () => {
    const layoutMap = new LayoutMap(mesh);
    layoutMap.set('d.*/kernel', ['batch', null]);
    layoutMap.set('dense.*', ['model', null]);
    layoutMap.set('dense/kernel', [null, 'model']);
    expect(layoutMap.get('dense/kernel')!.axes).toEqual([null, 'model']);
    expect(() => layoutMap.get('dense_2/kernel')).toThrow(
      /path "dense_2\/kernel" matches more than one layout key: "d\.\*\/kernel", "dense\.\*"/,
    );
  });

  it('does not let insertion order decide', () => {
    const forward = new LayoutMap(mesh).set('x.*', ['model']).set('y.*', ['batch']);
    const backward = new LayoutMap(mesh).set('y.*', ['batch']).set('x.*', ['model']);
    expect(forward.get('x1')!.axes).toEqual(backward.get('x1')!.axes);
    expect(forward.get('y1')!.axes).toEqual(backward.get('y1')!.axes);
  });

  it('attaches its mesh and validates the layout against it', () => {
    const layoutMap = new LayoutMap(mesh);
    const layout = new TensorLayout(['model', null]);
    layoutMap.set('w', layout);
    expect(layout.deviceMesh).toBe(mesh);
    expect(() => layoutMap.set('v', ['nope'])).toThrow(/axis "nope" in axes \["nope"\] is not an axis/);
    const otherMesh = new DeviceMesh([8], ['model'], devices(8));
    expect(() => layoutMap.set('u', new TensorLayout(['model'], otherMesh))).toThrow(/bound to DeviceMesh\(model=8/);
  });

  it('rejects duplicate keys, bad keys and bad layouts', () => {
    const layoutMap = new LayoutMap(mesh);
    layoutMap.set('w', ['model']);
    expect(() => layoutMap.set('w', ['batch'])).toThrow(/key "w" already has a layout/);
    expect(() => layoutMap.set('(unclosed', ['batch'])).toThrow(/argument 'key' expected a valid regular expression, received "\(unclosed"/);
    expect(() => layoutMap.set('', ['batch'])).toThrow(/argument 'key' expected a non-empty/);
    expect(() => layoutMap.set('z', 'model' as never)).toThrow(/argument 'layout' expected a TensorLayout or an array of axes/);
    expect(() => new LayoutMap({} as never)).toThrow(/argument 'deviceMesh' expected a DeviceMesh/);
  });

  it('behaves as a mapping', () => {
    const layoutMap = new LayoutMap(mesh).set('a', ['model']).set('b.*', [null, 'batch']);
    expect(layoutMap.size).toBe(2);
    expect(layoutMap.has('a')).toBe(true);
    expect(layoutMap.has('b1')).toBe(false);
    expect([...layoutMap].map(([key, layout]) => [key, layout.axes])).toEqual([
      ['a', ['model']],
      ['b.*', [null, 'batch']],
    ]);
    expect(layoutMap.delete('a')).toBe(true);
    expect(layoutMap.get('a')).toBeUndefined();
    layoutMap.set('a', ['batch']);
    expect(layoutMap.get('a')!.axes).toEqual(['batch']);
  });
});
