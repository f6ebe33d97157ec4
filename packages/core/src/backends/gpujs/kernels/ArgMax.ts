import { hostKernel } from './host.js';

// Runs on the host (reference code): see kernel-helpers.ts.
export const argMaxConfig = hostKernel('ArgMax');
