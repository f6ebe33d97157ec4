// Where every GemmaBackbone variable goes under a ModelParallel distribution executed by wasm shard
// workers: the layout map (KerasHub's GemmaBackbone.get_layout_map, or the caller's own) is read
// for every variable, checked against what the tensor-parallel executor computes, and turned into
// one slice per shard.
//
// The executor is Megatron-style tensor parallelism on the mesh's model axis (size S):
//   token_embedding/embeddings [V, D]      vocabulary rows split (axis 0): lookups are masked
//                                           partial sums, logits are concatenated slices;
//   attention/query/kernel [N, D, H]        heads split (axis 0); key/value [K, D, H] likewise;
//   attention/attention_output [N, H, D]    heads split (axis 0) → partial sums [B, T, D];
//   ffw_gating(_2)/kernel [D, F]            intermediate split (axis 1);
//   ffw_linear/kernel [F, D]                intermediate split (axis 0) → partial sums;
//   norm scales                             replicated.
// Quantized int8 scales follow their kernel's split axis (query/key/value/ffw_gating scales are
// per output channel); attention_output and ffw_linear scales are per output channel of D and stay
// replicated, as the layout map leaves every scale.
//
// Two departures from a literal reading of the map, both written in
// docs/differences-from-kerashub.md: (1) the data-parallel ('batch') axis must have size 1 — the
// FSDP split of D it describes is for training across devices, not executed here; (2) key/value
// heads fewer than the shards (Gemma 2B has one) are replicated so that each shard holds the
// key/value head its query heads use (JAX would refuse the uneven split), when S is a multiple of K.
import { TensorzooError } from '@tensorzoo/core';
import type { ModelParallel } from '../distribution/index.js';
import type { GemmaBackboneConfig, ResolvedGemmaConfig } from '../gemma/gemma-config.js';

/** One variable of the full model and its per-shard slices. */
export interface VariablePlacement {
  /** Keras variable path, e.g. `decoder_block_0/attention/query/kernel`. */
  readonly path: string;
  /** The full shape. */
  readonly shape: readonly number[];
  /** The axis sliced across shards; null when every shard holds the whole variable. */
  readonly axis: number | null;
  /** Per shard: [start, length) along `axis` (for a replicated variable, [0, shape[0]]). */
  readonly slices: readonly { readonly start: number; readonly length: number }[];
}

export interface ShardPlan {
  /** Shards = the size of the mesh's model axis. */
  readonly shards: number;
  readonly modelAxis: string;
  /** The full model's configuration. */
  readonly config: ResolvedGemmaConfig;
  /** What each shard builds: the same architecture with 1/S of the heads, intermediate width and vocabulary. */
  readonly shardConfig: GemmaBackboneConfig;
  /** Key/value heads per shard; 1 with replication when K < S. */
  readonly keyValueHeadsPerShard: number;
  /** True when K < S and key/value heads are replicated (each shard holds the head of its query group). */
  readonly keyValueReplicated: boolean;
}

/** How the executor splits a variable, by the variable's path below its block. */
interface SplitRule {
  /** Axis split across the model axis (null: replicated). */
  axis: number | null;
  /** What the axis is, for messages. */
  what: string;
  /** Whether the layout map must put the model axis there (kernels; scales and norms are not mapped). */
  mapped: boolean;
}

function splitRule(path: string): SplitRule | 'unsupported' {
  const leaf = path.replace(/^decoder_block_\d+\//, '');
  switch (leaf) {
    case 'token_embedding/embeddings':
      return { axis: 0, what: 'vocabulary', mapped: true };
    case 'token_embedding/embeddings_scale':
      return { axis: 0, what: 'vocabulary', mapped: false };
    case 'attention/query/kernel':
      return { axis: 0, what: 'query heads', mapped: true };
    case 'attention/key/kernel':
    case 'attention/value/kernel':
      return { axis: 0, what: 'key/value heads', mapped: true };
    case 'attention/query/kernel_scale':
      return { axis: 2, what: 'query heads', mapped: false };
    case 'attention/key/kernel_scale':
    case 'attention/value/kernel_scale':
      return { axis: 2, what: 'key/value heads', mapped: false };
    case 'attention/attention_output/kernel':
      return { axis: 0, what: 'query heads', mapped: true };
    case 'ffw_gating/kernel':
    case 'ffw_gating_2/kernel':
      return { axis: 1, what: 'intermediate dimension', mapped: true };
    case 'ffw_gating/kernel_scale':
    case 'ffw_gating_2/kernel_scale':
      return { axis: 2, what: 'intermediate dimension', mapped: false };
    case 'ffw_linear/kernel':
      return { axis: 0, what: 'intermediate dimension', mapped: true };
    case 'attention/attention_output/kernel_scale':
    case 'ffw_linear/kernel_scale':
    case 'pre_attention_norm/scale':
    case 'post_attention_norm/scale':
    case 'pre_ffw_norm/scale':
    case 'post_ffw_norm/scale':
    case 'final_normalization/scale':
      return { axis: null, what: 'replicated', mapped: false };
    default:
      return 'unsupported';
  }
}

const isKeyValue = (path: string) => /attention\/(key|value)\/kernel(_scale)?$/.test(path);

/**
 * Checks the distribution against the configuration and returns the plan. Errors name the
 * variable, the axis and the sizes: a mesh that does not divide the heads, the intermediate
 * dimension or the vocabulary; a layout that puts the model axis where the executor does not
 * split; a data-parallel axis larger than 1; int4 layers (their packed layout is not sliceable
 * by heads).
 */
export function planShards(config: ResolvedGemmaConfig, distribution: ModelParallel): ShardPlan {
  const op = 'ModelParallel';
  const mesh = distribution.deviceMesh;
  const batchSize = mesh.axisSize(distribution.batchDimName);
  if (batchSize !== 1)
    throw new TensorzooError(
      `${op}: the '${distribution.batchDimName}' (data-parallel) axis of ${mesh} has size ${batchSize}; ` +
        `the wasm shard executor runs one model replica, so it must be 1 (e.g. new DeviceMesh([1, ${mesh.deviceList.length}], ['batch', 'model'], devices))`,
    );
  const modelAxes = mesh.axisNames.filter((name) => name !== distribution.batchDimName && mesh.axisSize(name) > 1);
  if (modelAxes.length > 1)
    throw new TensorzooError(`${op}: ${mesh} has more than one model axis of size > 1 (${modelAxes.join(', ')}); the executor splits over one`);
  const modelAxis = modelAxes[0] ?? mesh.axisNames.find((name) => name !== distribution.batchDimName) ?? distribution.batchDimName;
  const shards = mesh.axisSize(modelAxis);

  const quantized = Object.entries(config.quantizedLayers ?? {});
  const int4 = quantized.find(([, mode]) => mode.startsWith('int4'));
  if (int4 && shards > 1)
    throw new TensorzooError(
      `${op}: layer '${int4[0]}' is quantized ${int4[1]}: packed int4 kernels are stored in Keras's flattened [rows, columns/2] layout, ` +
        `which cannot be split by heads without unpacking; run int4 presets with one shard, or use int8`,
    );

  const { numQueryHeads: N, numKeyValueHeads: K, vocabularySize: V } = config;
  const F = config.intermediateDim / 2;
  const divides = (path: string, axis: number, size: number, what: string) => {
    if (size % shards !== 0)
      throw new TensorzooError(
        `${op}: variable '${path}' axis ${axis} (${what}) has size ${size}, which the '${modelAxis}' mesh axis of size ${shards} does not divide`,
      );
  };
  divides('decoder_block_0/attention/query/kernel', 0, N, 'query heads');
  divides('decoder_block_0/ffw_gating/kernel', 1, F, 'intermediate dimension');
  divides('token_embedding/embeddings', 0, V, 'vocabulary');
  let keyValueHeadsPerShard = K / shards;
  let keyValueReplicated = false;
  if (K % shards !== 0) {
    if (shards % K !== 0)
      throw new TensorzooError(
        `${op}: variable 'decoder_block_0/attention/key/kernel' axis 0 (key/value heads) has size ${K}, which the '${modelAxis}' mesh axis of size ${shards} ` +
          `neither divides nor is a multiple of (with fewer key/value heads than shards, each head is replicated over S / K shards)`,
      );
    keyValueHeadsPerShard = 1;
    keyValueReplicated = true;
  }

  const shardConfig: GemmaBackboneConfig = {
    ...config,
    vocabularySize: V / shards,
    numQueryHeads: N / shards,
    numKeyValueHeads: keyValueHeadsPerShard,
    intermediateDim: config.intermediateDim / shards,
    // The query scale of the full model: floor(D / N) would change with N / S.
    queryPreAttentionScalar: config.queryPreAttentionScalar ?? (config.queryHeadDimNormalize ? null : Math.floor(config.hiddenDim / N)),
  };
  return { shards, modelAxis, config, shardConfig, keyValueHeadsPerShard, keyValueReplicated };
}

/** The placement of one variable of the full model (path and full shape), checked against the layout map. */
export function placeVariable(plan: ShardPlan, distribution: ModelParallel, path: string, shape: readonly number[]): VariablePlacement {
  const op = 'ModelParallel';
  const rule = splitRule(path);
  // One shard holds every variable whole, whatever it is (int4 zero points and group indices included).
  if (plan.shards === 1) return { path, shape, axis: null, slices: [{ start: 0, length: shape[0] ?? 1 }] };
  if (rule === 'unsupported')
    throw new TensorzooError(`${op}: variable '${path}' [${shape.join(', ')}] has no tensor-parallel placement in the wasm shard executor (LoRA factors and int4 tables are not split yet)`);
  const layout = distribution.getVariableLayout({ path, shape });
  const mapped = layout.axes.indexOf(plan.modelAxis);
  const expected = rule.mapped ? rule.axis : null;
  // A layout that splits where the executor does not would be silently ignored: refuse it.
  if (plan.shards > 1 && mapped !== -1 && mapped !== expected)
    throw new TensorzooError(
      `${op}: variable '${path}' [${shape.join(', ')}] has layout ${JSON.stringify(layout.axes)}, which splits axis ${mapped} over '${plan.modelAxis}'; ` +
        `the executor splits it ${expected === null ? 'nowhere (replicated)' : `on axis ${expected} (${rule.what})`}`,
    );
  if (plan.shards > 1 && rule.mapped && mapped === -1)
    throw new TensorzooError(
      `${op}: variable '${path}' [${shape.join(', ')}] has layout ${JSON.stringify(layout.axes)}, which replicates it; ` +
        `the tensor-parallel executor needs axis ${rule.axis} (${rule.what}) on '${plan.modelAxis}' (GemmaBackbone.getLayoutMap gives that)`,
    );
  const S = plan.shards;
  if (rule.axis === null || S === 1)
    return { path, shape, axis: null, slices: Array.from({ length: S }, () => ({ start: 0, length: shape[0] ?? 1 })) };
  const size = shape[rule.axis]!;
  if (isKeyValue(path) && plan.keyValueReplicated) {
    // Shard s serves query heads [s N/S, (s+1) N/S), all in key/value group floor(s K / S).
    return { path, shape, axis: rule.axis, slices: Array.from({ length: S }, (_, shard) => ({ start: Math.floor((shard * size) / S), length: 1 })) };
  }
  if (size % S !== 0)
    throw new TensorzooError(`${op}: variable '${path}' axis ${rule.axis} (${rule.what}) has size ${size}, which the '${plan.modelAxis}' mesh axis of size ${S} does not divide`);
  const length = size / S;
  return { path, shape, axis: rule.axis, slices: Array.from({ length: S }, (_, shard) => ({ start: shard * length, length })) };
}

export type HostArray = Float32Array | Uint16Array | Int8Array;

/** Copies `[start, start + length)` along `axis` of a row-major array of `shape` into a new array of the same kind. */
export function sliceAlong<T extends HostArray>(data: T, shape: readonly number[], axis: number | null, start: number, length: number): T {
  const make = (size: number): T => new (data.constructor as new (size: number) => T)(size);
  if (axis === null) {
    const copy = make(data.length);
    copy.set(data, 0);
    return copy;
  }
  const outer = shape.slice(0, axis).reduce((product, size) => product * size, 1);
  const inner = shape.slice(axis + 1).reduce((product, size) => product * size, 1);
  const size = shape[axis]!;
  const out = make(outer * length * inner);
  for (let o = 0; o < outer; o++) {
    const from = (o * size + start) * inner;
    out.set(data.subarray(from, from + length * inner) as never, o * length * inner);
  }
  return out;
}
