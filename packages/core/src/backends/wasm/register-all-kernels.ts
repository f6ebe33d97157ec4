// Every wasm kernel, registered from one list: all of the reference backend's primitives plus the
// fused Softmax, RMSNorm, Gelu, Rope and AbsMaxQuantize.
import type { KernelConfig } from '../../kernel-registry.js';
import { registerKernels } from '../../kernel-registry.js';
import { absConfig } from './kernels/Abs.js';
import { absMaxQuantizeConfig } from './kernels/AbsMaxQuantize.js';
import { addConfig } from './kernels/Add.js';
import { argMaxConfig } from './kernels/ArgMax.js';
import { batchMatMulConfig } from './kernels/BatchMatMul.js';
import { castConfig } from './kernels/Cast.js';
import { concatConfig } from './kernels/Concat.js';
import { cumsumConfig } from './kernels/Cumsum.js';
import { divConfig } from './kernels/Div.js';
import { equalConfig } from './kernels/Equal.js';
import { erfConfig } from './kernels/Erf.js';
import { expConfig } from './kernels/Exp.js';
import { gatherConfig } from './kernels/Gather.js';
import { geluConfig } from './kernels/Gelu.js';
import { greaterConfig } from './kernels/Greater.js';
import { lessConfig } from './kernels/Less.js';
import { logConfig } from './kernels/Log.js';
import { logicalAndConfig } from './kernels/LogicalAnd.js';
import { logicalNotConfig } from './kernels/LogicalNot.js';
import { logicalOrConfig } from './kernels/LogicalOr.js';
import { matMulInt4Config } from './kernels/MatMulInt4.js';
import { matMulInt8Config } from './kernels/MatMulInt8.js';
import { maxConfig } from './kernels/Max.js';
import { maximumConfig } from './kernels/Maximum.js';
import { minConfig } from './kernels/Min.js';
import { minimumConfig } from './kernels/Minimum.js';
import { mulConfig } from './kernels/Mul.js';
import { negConfig } from './kernels/Neg.js';
import { powConfig } from './kernels/Pow.js';
import { rmsNormConfig } from './kernels/RMSNorm.js';
import { roundConfig } from './kernels/Round.js';
import { ropeConfig } from './kernels/Rope.js';
import { attentionConfig } from './kernels/Attention.js';
import { rsqrtConfig } from './kernels/Rsqrt.js';
import { sliceConfig } from './kernels/Slice.js';
import { softmaxConfig } from './kernels/Softmax.js';
import { sqrtConfig } from './kernels/Sqrt.js';
import { subConfig } from './kernels/Sub.js';
import { sumConfig } from './kernels/Sum.js';
import { tanhConfig } from './kernels/Tanh.js';
import { topKConfig } from './kernels/TopK.js';
import { transposeConfig } from './kernels/Transpose.js';
import { unpackInt4Config } from './kernels/UnpackInt4.js';
import { whereConfig } from './kernels/Where.js';
import type { WasmBackend } from './wasm-backend.js';

export const wasmKernels: readonly KernelConfig<WasmBackend>[] = [
  absConfig, addConfig, argMaxConfig, batchMatMulConfig, castConfig, concatConfig, cumsumConfig, divConfig,
  equalConfig, erfConfig, expConfig, gatherConfig, geluConfig, greaterConfig, lessConfig, logConfig, logicalAndConfig,
  logicalNotConfig, logicalOrConfig, maxConfig, maximumConfig, minConfig, minimumConfig, mulConfig, negConfig,
  powConfig, rmsNormConfig, ropeConfig, attentionConfig, rsqrtConfig, sliceConfig, softmaxConfig, sqrtConfig, subConfig, sumConfig,
  tanhConfig, topKConfig, transposeConfig, whereConfig,
  // Quantization (issue 13).
  roundConfig, absMaxQuantizeConfig, matMulInt8Config, matMulInt4Config, unpackInt4Config,
];

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  registerKernels(wasmKernels);
}
