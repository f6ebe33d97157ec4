// The Layer base and Variable: names, nested paths (with a model-like path root), weight order,
// trainable propagation, build semantics, dtype policies, assign/dispose, leaks.
import * as tz from '@tensorzoo/core';
import type { Tensor } from '@tensorzoo/core';
import { describe, expect, test } from 'vitest';
import {
  Dense, Dropout, EinsumDense, Embedding, Layer, Model, ReversibleEmbedding, RMSNormalization, Softmax, Variable,
  deserializeLayer, registerLayer, serializeLayer, toSnakeCase, type CallOptions, type InputShape, type LayerConfig, type Shape,
} from '@tensorzoo/layers';
import { describeBackends, take } from './harness.js';

/** A two-level block shaped like Gemma's: norms and an attention holding query/key projections. */
class Attention extends Layer<Tensor, Tensor> {
  readonly query: EinsumDense;
  readonly key: EinsumDense;
  constructor(config: LayerConfig = {}) {
    super(config);
    this.query = this.trackLayer(new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 2, 3], name: 'query' }));
    this.key = this.trackLayer(new EinsumDense({ equation: 'bsd,kdh->bskh', outputShape: [null, 1, 3], name: 'key' }));
  }
  override build(inputShape: InputShape): void {
    this.query.build(inputShape);
    this.key.build(inputShape);
  }
  call(inputs: Tensor): Tensor {
    const query = this.query.apply(inputs);
    const key = this.key.apply(inputs);
    // Not attention, just a use of both projections that keeps the [B, T, D] shape.
    return tz.add(inputs, tz.expandDims(tz.add(tz.sum(query, [2, 3]), tz.sum(key, [2, 3])), -1));
  }
}

class Block extends Layer<Tensor, Tensor> {
  readonly norm: RMSNormalization;
  readonly attention: Attention;
  constructor(config: LayerConfig = {}) {
    super(config);
    this.norm = this.trackLayer(new RMSNormalization({ name: 'pre_attention_norm' }));
    this.attention = this.trackLayer(new Attention({ name: 'attention' }));
  }
  override build(inputShape: InputShape): void {
    this.norm.build(inputShape);
    this.attention.build(inputShape);
  }
  call(inputs: Tensor, options: CallOptions = {}): Tensor {
    return this.attention.apply(this.norm.apply(inputs, options), options);
  }
}

class TinyBackbone extends Model<Tensor, Tensor> {
  readonly embedding: ReversibleEmbedding;
  readonly blocks: Block[];
  constructor(config: LayerConfig = {}) {
    super(config);
    this.embedding = this.trackLayer(new ReversibleEmbedding({ inputDim: 7, outputDim: 4, name: 'token_embedding' }));
    this.blocks = [0, 1].map((index) => this.trackLayer(new Block({ name: `decoder_block_${index}` })));
    const shape: Shape = [null, null, 4];
    this.embedding.build();
    for (const block of this.blocks) block.build(shape);
    // Built in the constructor, as a Keras functional model is.
    this.setBuilt();
  }
  call(ids: Tensor): Tensor {
    return this.blocks.reduce((hidden, block) => block.apply(hidden), this.embedding.apply(ids));
  }
}

describe('names (backend-independent: strings)', () => {
  test("Keras's snake_case of class names", () => {
    expect(['EinsumDense', 'RMSNormalization', 'ReversibleEmbedding', 'GemmaDecoderBlock', 'InputLayer', 'Dense'].map(toSnakeCase)).toEqual([
      'einsum_dense', 'rms_normalization', 'reversible_embedding', 'gemma_decoder_block', 'input_layer', 'dense',
    ]);
  });
});

describeBackends('Layer', (suite) => {
  suite.test('auto names are the snake_case class name made unique; given names are kept', () => {
    const names = [
      new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2 }),
      new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2 }),
      new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2, name: 'query' }),
      new RMSNormalization(),
      new ReversibleEmbedding({ inputDim: 2, outputDim: 2 }),
      new Dropout({ rate: 0 }),
      new Softmax(),
      new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2 }),
    ].map((layer) => layer.name);
    expect(names).toEqual(['einsum_dense', 'einsum_dense_1', 'query', 'rms_normalization', 'reversible_embedding', 'dropout', 'softmax', 'einsum_dense_2']);
    expect(() => new Dense({ units: 1, name: '' })).toThrow(/Dense: argument 'name' expected a non-empty string/);
    expect(() => new Dense({ units: 1, name: 'attention/query' })).toThrow("Dense: argument 'name' expected a non-empty string without '/', received attention/query");
  });

  suite.test("nested paths; a Model's own name is left out of its layers' paths (gemma.md §1.8)", () => {
    const backbone = new TinyBackbone({ name: 'gemma_backbone' });
    expect(backbone.weights.map((variable) => variable.path)).toEqual([
      'token_embedding/embeddings',
      'decoder_block_0/pre_attention_norm/scale',
      'decoder_block_0/attention/query/kernel',
      'decoder_block_0/attention/key/kernel',
      'decoder_block_1/pre_attention_norm/scale',
      'decoder_block_1/attention/query/kernel',
      'decoder_block_1/attention/key/kernel',
    ]);
    expect(backbone.blocks[1]!.attention.query.path).toBe('decoder_block_1/attention/query');
    expect(backbone.path).toBe('gemma_backbone');
    expect(backbone.layers.map((layer) => layer.name)).toEqual(['token_embedding', 'decoder_block_0', 'decoder_block_1']);
    expect(backbone.blocks[0]!.layers.map((layer) => layer.name)).toEqual(['pre_attention_norm', 'attention']);
    expect(backbone.countParams()).toBe(7 * 4 + 2 * (4 + 2 * 4 * 3 + 1 * 4 * 3));
    // A plain layer keeps its own name in its children's paths.
    const block = new Block({ name: 'block' });
    block.build([1, 1, 4]);
    expect(block.weights[1]!.path).toBe('block/attention/query/kernel');
    const ids = tz.tensor([[1, 2, 3]], undefined, 'int32');
    expect(take(backbone.apply(ids)).shape).toEqual([1, 3, 4]);
    ids.dispose();
    backbone.dispose();
    block.dispose();
  });

  suite.test('trainable propagates to nested layers and their variables (Keras semantics)', () => {
    const backbone = new TinyBackbone();
    const total = backbone.weights.length;
    backbone.trainable = false;
    expect([backbone.trainableWeights.length, backbone.nonTrainableWeights.length]).toEqual([0, total]);
    expect(backbone.blocks[0]!.attention.query.trainable).toBe(false);
    backbone.trainable = true;
    backbone.blocks.forEach((block) => (block.norm.trainable = false));
    expect(backbone.trainableWeights.map((variable) => variable.path).filter((path) => path.includes('norm'))).toEqual([]);
    expect(backbone.nonTrainableWeights.map((variable) => variable.path)).toEqual(['decoder_block_0/pre_attention_norm/scale', 'decoder_block_1/pre_attention_norm/scale']);
    backbone.dispose();
  });

  suite.test('build: apply builds from the input shapes once; a direct build() marks the layer built; a second build is a no-op', () => {
    const dense = new Dense({ units: 2 });
    expect(dense.built).toBe(false);
    expect(() => dense.countParams()).toThrow(/Dense 'dense'.countParams: the layer is not built yet/);
    dense.build([null, 3]);
    expect(dense.built).toBe(true);
    const kernel = dense.kernelVariable;
    dense.build([null, 5]);
    expect(dense.kernelVariable).toBe(kernel);
    expect(dense.countParams()).toBe(3 * 2 + 2);
    const norm = new RMSNormalization();
    const inputs = tz.ones([2, 6]);
    take(norm.apply(inputs));
    expect([norm.built, norm.scaleVariable.shape]).toEqual([true, [6]]);
    expect(() => new Dense({ units: 2 }).build([null, null])).toThrow(/argument 'inputShape' expected a known size at axis -1, received \[null, null\]/);
    inputs.dispose();
    dense.dispose();
    norm.dispose();
  });

  suite.test('dtype policies: variables in the variable dtype, float inputs cast to the compute dtype', () => {
    const pure = new Dense({ units: 2, dtype: 'bfloat16', kernelInitializer: 'ones' });
    const mixed = new Dense({ units: 2, dtype: 'mixed_bfloat16', kernelInitializer: 'ones' });
    const inputs = tz.tensor([[1.001, 2]]);
    const pureOut = take(pure.apply(inputs));
    const mixedOut = take(mixed.apply(inputs));
    expect([pure.dtype, pure.computeDtype, pure.kernelVariable.dtype, pureOut.dtype]).toEqual(['bfloat16', 'bfloat16', 'bfloat16', 'bfloat16']);
    expect([mixed.dtype, mixed.variableDtype, mixed.computeDtype, mixed.kernelVariable.dtype, mixedOut.dtype]).toEqual(['mixed_bfloat16', 'float32', 'bfloat16', 'float32', 'bfloat16']);
    // `dtype: layer.dtype` hands the whole policy on.
    expect(new Dense({ units: 1, dtype: mixed.dtype }).dtypePolicy.computeDtype).toBe('bfloat16');
    // 1.001 rounds to 1 in bfloat16 before the product: 1 + 2 = 3.
    expect(pureOut.values).toEqual([3, 3]);
    expect(mixed.getConfig().dtype).toBe('mixed_bfloat16');
    expect(() => new Dense({ units: 1, dtype: 'float64' as never })).toThrow(/DTypePolicy: argument 'name' expected one of float32, bfloat16, float16, mixed_bfloat16, mixed_float16/);
    inputs.dispose();
    pure.dispose();
    mixed.dispose();
  });

  suite.test('Variable: assign copies and casts, checks the shape naming the path, bumps the version; dispose', () => {
    const block = new Block({ name: 'decoder_block_0' });
    block.build([1, 1, 4]);
    const kernel = block.attention.query.kernelVariable;
    const replacement = tz.ones([2, 4, 3]);
    kernel.assign(replacement);
    expect(replacement.isDisposed).toBe(false);
    expect(kernel.value).not.toBe(replacement);
    expect(kernel.version).toBe(1);
    replacement.dispose();
    expect(Array.from(kernel.numpy()).every((value) => value === 1)).toBe(true);
    const wrong = tz.ones([2, 3, 4]);
    expect(() => kernel.assign(wrong)).toThrow(
      "Variable 'decoder_block_0/attention/query/kernel'.assign: argument 'value' expected shape [2, 4, 3], received shape [2, 3, 4]",
    );
    wrong.dispose();
    expect(() => kernel.assign([1, 2])).toThrow(/argument 'value' expected 24 values \(shape \[2, 4, 3\]\), received 2 values/);
    const half = new Variable({ name: 'w', shape: [2], dtype: 'bfloat16' });
    half.assign(new Float32Array([1.00390625, 3.14159]));
    expect([half.path, half.value.dtype, Array.from(half.numpy())]).toEqual(['w', 'bfloat16', [1, 3.140625]]);
    half.dispose();
    expect(() => half.value).toThrow("Variable 'w' was used after dispose()");
    block.dispose();
    expect(kernel.isDisposed).toBe(true);
  });

  suite.test('getConfig/fromConfig round-trip every layer through JSON', () => {
    const layers: Layer[] = [
      new EinsumDense({ equation: '...b,bc->...c', outputShape: 5, biasAxes: 'c', activation: 'gelu', kernelInitializer: { className: 'HeNormal', config: { seed: 2 } }, loraRank: 2, loraAlpha: 4, name: 'proj', trainable: false, dtype: 'mixed_bfloat16' }),
      new Dense({ units: 3, activation: 'relu', useBias: false, biasInitializer: 'ones' }),
      new Embedding({ inputDim: 9, outputDim: 4, maskZero: true, embeddingsInitializer: 'glorot_normal' }),
      new ReversibleEmbedding({ inputDim: 9, outputDim: 4, tieWeights: false, reverseDtype: 'float32', logitSoftCap: 30, dtype: 'bfloat16' }),
      new RMSNormalization({ epsilon: 1e-5 }),
      new Dropout({ rate: 0.25, noiseShape: [null, 1], seed: 3 }),
      new Softmax({ axis: 1 }),
    ];
    for (const layer of layers) {
      const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
      const copy = (layer.constructor as unknown as { fromConfig(config: Record<string, unknown>): Layer }).fromConfig(config);
      expect(copy.constructor).toBe(layer.constructor);
      expect(copy.getConfig()).toEqual(layer.getConfig());
    }
    expect(layers[0]!.getConfig()).toEqual({
      name: 'proj', trainable: false, dtype: 'mixed_bfloat16', equation: '...b,bc->...c', outputShape: 5, activation: 'gelu', biasAxes: 'c',
      kernelInitializer: { className: 'HeNormal', config: { seed: 2 } }, biasInitializer: { className: 'Zeros', config: {} }, loraRank: 2, loraAlpha: 4,
    });
  });

  suite.test('serializeLayer/deserializeLayer by class name; custom layers register themselves', () => {
    const original = new ReversibleEmbedding({ inputDim: 6, outputDim: 2, logitSoftCap: 30, name: 'token_embedding' });
    const serialized = serializeLayer(original);
    expect(serialized.className).toBe('ReversibleEmbedding');
    const copy = deserializeLayer(JSON.parse(JSON.stringify(serialized)));
    expect(copy).toBeInstanceOf(ReversibleEmbedding);
    expect(copy.getConfig()).toEqual(original.getConfig());
    // The registry is process-wide: a name per backend keeps each run's registration its own.
    const className = `Block_${suite.backend}`;
    expect(() => deserializeLayer({ className, config: {} })).toThrow(/deserializeLayer: argument 'className' expected a registered layer/);
    registerLayer({ name: 'Block', fromConfig: (config) => new Block(config) }, className);
    expect(deserializeLayer({ className, config: { name: 'decoder_block_9' } }).name).toBe('decoder_block_9');
  });

  suite.test('apply casts float tensors inside arrays and records to the compute dtype, and leaves ints alone', () => {
    class Pair extends Layer<{ hidden: Tensor; ids: Tensor }, Tensor[]> {
      call(inputs: { hidden: Tensor; ids: Tensor }): Tensor[] {
        return [tz.cast(inputs.hidden, inputs.hidden.dtype), tz.cast(inputs.ids, inputs.ids.dtype)];
      }
    }
    const layer = new Pair({ dtype: 'bfloat16' });
    const hidden = tz.ones([2]);
    const ids = tz.tensor([1, 2], [2], 'int32');
    const [first, second] = layer.apply({ hidden, ids });
    expect([first!.dtype, second!.dtype, layer.built]).toEqual(['bfloat16', 'int32', true]);
    tz.dispose([hidden, ids, first!, second!]);
  });

  suite.test('computeOutputShape without building, for every layer', () => {
    expect(new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, 4, 16] }).computeOutputShape([null, null, 48])).toEqual([null, null, 4, 16]);
    expect(new Dense({ units: 5 }).computeOutputShape([2, null, 3])).toEqual([2, null, 5]);
    const embedding = new ReversibleEmbedding({ inputDim: 100, outputDim: 8 });
    expect(embedding.computeOutputShape([2, 7])).toEqual([2, 7, 8]);
    expect(embedding.computeOutputShape([2, 7, 8], { reverse: true })).toEqual([2, 7, 100]);
    expect(new Embedding({ inputDim: 3, outputDim: 2 }).computeOutputShape([4])).toEqual([4, 2]);
    for (const layer of [new RMSNormalization(), new Dropout({ rate: 0.1 }), new Softmax()]) expect(layer.computeOutputShape([2, null, 3])).toEqual([2, null, 3]);
    expect(embedding.built).toBe(false);
  });
});
