import { erfStatements } from './erf-source.js';
import { unaryKernel } from './unary.js';

// erf in float32 on the device, accurate relative to the result (erf-source.ts).
export const erfConfig = unaryKernel('Erf', erfStatements());
