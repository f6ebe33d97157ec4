// The shape and dtype helpers every backend's kernels rely on (no backend involved), and a guard
// that every public function of @tensorzoo/core is exercised somewhere in this suite.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { ReferenceBackend } from '@tensorzoo/core/backends/reference';
import { expectError, TestRandom } from './harness.js';
import { broadcastShape, ravel, size, unravel } from './naive.js';

describe('shape helpers', () => {
  test('sizeOf, stridesOf, shapesEqual, formatShape', () => {
    expect(tz.sizeOf([2, 3, 4])).toBe(24);
    expect(tz.sizeOf([])).toBe(1);
    expect(tz.sizeOf([3, 0])).toBe(0);
    expect(tz.stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(tz.stridesOf([])).toEqual([]);
    expect(tz.shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(tz.shapesEqual([2, 3], [3, 2])).toBe(false);
    expect(tz.shapesEqual([1], [1, 1])).toBe(false);
    expect(tz.formatShape([2, 3])).toBe('[2, 3]');
    expect(tz.formatShape([])).toBe('[]');
  });

  test('broadcastShapes follows NumPy and names the op and arguments on failure', () => {
    expect(tz.broadcastShapes('op', [2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(tz.broadcastShapes('op', [], [5])).toEqual([5]);
    expect(tz.broadcastShapes('op', [0], [1])).toEqual([0]);
    expectError(() => tz.broadcastShapes('myOp', [2, 3], [4], ['left', 'right']), 'myOp', "argument 'right'", 'broadcastable with left [2, 3]', '[4]');
  });

  test('normalizeAxis and normalizeAxes', () => {
    expect(tz.normalizeAxis('op', -1, 3)).toBe(2);
    expect(tz.normalizeAxis('op', 0, 3)).toBe(0);
    expect(tz.normalizeAxes('op', undefined, 3)).toEqual([0, 1, 2]);
    expect(tz.normalizeAxes('op', [-1, 0], 3)).toEqual([2, 0]);
    expect(tz.normalizeAxes('op', 1, 2)).toEqual([1]);
    expectError(() => tz.normalizeAxis('op', 3, 3, 'dim'), 'op', "argument 'dim'", 'an integer in [-3, 2]', 'received 3');
    expectError(() => tz.normalizeAxis('op', 0, 0), 'op', "argument 'axis'", 'scalar');
    expectError(() => tz.normalizeAxes('op', [1, -1], 2), 'op', "argument 'axis'", 'distinct axes', '[1, -1]');
  });

  test('broadcastOffsets maps every output element to its broadcast source, on random shape pairs', () => {
    const random = new TestRandom(3);
    for (let trial = 0; trial < 200; trial++) {
      const outRank = random.int(0, 4);
      const outShape = random.shape(outRank, 0, 3);
      const inRank = random.int(0, outRank);
      const inShape = outShape.slice(outRank - inRank).map((dimension) => (random.next() < 0.4 ? 1 : dimension));
      expect(broadcastShape(inShape, outShape)).toEqual(outShape);
      const offsets = tz.broadcastOffsets(inShape, outShape);
      expect(offsets.length).toBe(size(outShape));
      offsets.forEach((offset, flat) => {
        const index = unravel(flat, outShape).slice(outRank - inRank).map((value, axis) => (inShape[axis] === 1 ? 0 : value));
        expect(offset).toBe(ravel(index, inShape));
      });
    }
  });
});

describe('dtype helpers', () => {
  test('classification and sizes', () => {
    expect(tz.allDTypes.filter(tz.isStorageDType)).toEqual(['bfloat16', 'float16', 'int8']);
    expect(tz.allDTypes.filter(tz.isFloatDType)).toEqual(['float32', 'bfloat16', 'float16']);
    expect(tz.allDTypes.map(tz.bytesPerElement)).toEqual([4, 4, 1, 2, 2, 1]);
    expect(tz.allDTypes.map(tz.computeDTypeOf)).toEqual(['float32', 'int32', 'bool', 'float32', 'float32', 'int32']);
  });

  test('allocate gives the storage array of each dtype', () => {
    expect(tz.allocate('float32', 2)).toBeInstanceOf(Float32Array);
    expect(tz.allocate('int32', 2)).toBeInstanceOf(Int32Array);
    expect(tz.allocate('bool', 2)).toBeInstanceOf(Uint8Array);
    expect(tz.allocate('bfloat16', 2)).toBeInstanceOf(Uint16Array);
    expect(tz.allocate('float16', 3).length).toBe(3);
    expect(tz.allocate('int8', 2)).toBeInstanceOf(Int8Array);
  });

  test('encodeStorage and decodeToCompute round-trip representable values', () => {
    const values = [0, 1, -2, 0.5, 65504];
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const bits = tz.encodeStorage(values, dtype);
      expect(bits).toBeInstanceOf(Uint16Array);
      const decoded = tz.decodeToCompute(bits, dtype);
      expect(decoded).toBeInstanceOf(Float32Array);
      expect(Array.from(decoded)).toEqual(dtype === 'float16' ? values : [0, 1, -2, 0.5, 65536]);
    }
    const ints = new Int32Array([1, 2]);
    expect(tz.decodeToCompute(ints, 'int32')).toBe(ints);
  });
});

describe('kernel registry helpers', () => {
  test('listKernels is sorted and holds every primitive of the reference backend', () => {
    const names = tz.listKernels('reference');
    expect([...names].sort()).toEqual(names);
    for (const name of tz.primitiveKernelNames) expect(names).toContain(name);
    expect(tz.listKernels('no-such-backend')).toEqual([]);
  });

  test('registerKernels rejects a duplicate in the list', () => {
    const existing = tz.getKernel('Neg', 'reference')!;
    expect(() => tz.registerKernels([existing])).toThrow("kernel 'Neg' is already registered for backend 'reference'");
  });

  test('activeBackendHas reflects the registry for the active backend', () => {
    expect(tz.activeBackendHas('Add')).toBe(true);
    for (const name of tz.fusedKernelNames) expect(tz.activeBackendHas(name)).toBe(tz.hasKernel(name, tz.getBackend()));
  });
});

describe('engine: the default backend', () => {
  test('an async backend of higher priority is started once, kept for setBackend, and its failure is not an unhandled rejection', async () => {
    const engine = new tz.Engine();
    let starts = 0;
    engine.registerBackend({
      name: 'slow',
      priority: 9,
      create: () => {
        starts++;
        return Promise.reject(new Error('no device'));
      },
    });
    engine.registerBackend({ name: 'reference', priority: 1, create: () => new ReferenceBackend() });
    // No backend chosen: the first synchronous one in priority order is used.
    expect(engine.getBackend()).toBe('reference');
    expect(engine.getBackend()).toBe('reference');
    await expect(engine.setBackend('slow')).rejects.toThrow('no device');
    expect(starts).toBe(1);
    // Let an unhandled rejection, if any, reach vitest (which fails the run on one).
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
});

describe('coverage guard', () => {
  test('every function exported by the op, shape and dtype modules appears in a test', () => {
    // Every .ts file under test/, subfolders (backend- and feature-specific suites) included.
    const testFolder = new URL('.', import.meta.url).pathname;
    const sources = (readdirSync(testFolder, { recursive: true }) as string[])
      .filter((name) => name.endsWith('.ts'))
      .map((name) => readFileSync(`${testFolder}${name}`, 'utf8'))
      .join('\n');
    // The public names those modules export (other modules, e.g. autodiff, guard their own).
    const sourceFolder = new URL('../src/', import.meta.url).pathname;
    const modules = [...readdirSync(`${sourceFolder}ops`).map((name) => `ops/${name}`), 'shape.ts', 'dtype.ts'];
    const exported = modules.flatMap((module) =>
      [...readFileSync(`${sourceFolder}${module}`, 'utf8').matchAll(/^export (?:function|const) (\w+)/gm)].map((match) => match[1]!),
    );
    expect(exported.length).toBeGreaterThan(80);
    const publicNames = exported.filter((name) => typeof (tz as Record<string, unknown>)[name] === 'function');
    const untested = publicNames.filter((name) => !sources.includes(`tz.${name}`));
    expect(untested, 'public functions without a test').toEqual([]);
  });
});
