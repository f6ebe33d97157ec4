import { roundHalfToEven } from '../../../dtype.js';
import { unaryKernel } from './unary.js';

// Half to even (numpy.round): float32 in, float32 out.
export const roundConfig = unaryKernel('Round', roundHalfToEven);
