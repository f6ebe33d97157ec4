// The one list of gradients: every differentiable kernel (and the Reshape view). Kernels left out
// have no gradient: comparisons, logic and ArgMax (int/bool outputs, never recorded) and TopK
// (the tape errors if a result depends on it).
import { registerGradient, getGradient, type GradientConfig } from '../autodiff/gradient-registry.js';
import { absGradient } from './abs.js';
import { addGradient } from './add.js';
import { batchMatMulGradient } from './batch-mat-mul.js';
import { castGradient } from './cast.js';
import { concatGradient } from './concat.js';
import { cumsumGradient } from './cumsum.js';
import { divGradient } from './div.js';
import { erfGradient } from './erf.js';
import { expGradient } from './exp.js';
import { gatherGradient } from './gather.js';
import { geluGradient } from './gelu.js';
import { logGradient } from './log.js';
import { maxGradient } from './max.js';
import { maximumGradient } from './maximum.js';
import { minGradient } from './min.js';
import { minimumGradient } from './minimum.js';
import { mulGradient } from './mul.js';
import { negGradient } from './neg.js';
import { powGradient } from './pow.js';
import { reshapeGradient } from './reshape.js';
import { rmsNormGradient } from './rms-norm.js';
import { ropeGradient } from './rope.js';
import { rsqrtGradient } from './rsqrt.js';
import { sliceGradient } from './slice.js';
import { softmaxGradient } from './softmax.js';
import { sqrtGradient } from './sqrt.js';
import { subGradient } from './sub.js';
import { sumGradient } from './sum.js';
import { tanhGradient } from './tanh.js';
import { transposeGradient } from './transpose.js';
import { whereGradient } from './where.js';

export const allGradients: readonly GradientConfig[] = [
  // elementwise unary
  negGradient, absGradient, expGradient, logGradient, sqrtGradient, rsqrtGradient, tanhGradient, erfGradient,
  // elementwise binary (broadcasting)
  addGradient, subGradient, mulGradient, divGradient, powGradient, maximumGradient, minimumGradient,
  // selection, conversion
  whereGradient, castGradient,
  // reductions and scans
  sumGradient, maxGradient, minGradient, cumsumGradient,
  // data movement (Reshape is the engine's view)
  reshapeGradient, transposeGradient, concatGradient, sliceGradient, gatherGradient,
  // products
  batchMatMulGradient,
  // fused kernels (used when the active backend registers them)
  softmaxGradient, rmsNormGradient, geluGradient, ropeGradient,
];

/** Registers every gradient not registered yet (called by the tape: no import side effects, as
 * the package is marked side-effect free). */
export function registerAllGradients(): void {
  for (const config of allGradients) if (!getGradient(config.kernelName)) registerGradient(config);
}
