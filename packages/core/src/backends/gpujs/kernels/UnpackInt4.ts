import { hostKernel } from './host.js';

// Runs on the host (reference code): int4 unpacking is byte work, done at load/quantize time only
// (the products unpack their nibbles on the device themselves).
export const unpackInt4Config = hostKernel('UnpackInt4', ['packed']);
