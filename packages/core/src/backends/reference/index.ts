// `@tensorzoo/core/backends/reference`: the plain-TypeScript reference backend. Core registers it
// on import, so this entry point is for code that wants the class or the kernel list.
import { engine } from '../../engine.js';
import { registerReferenceKernels } from './register-all-kernels.js';
import { ReferenceBackend } from './reference-backend.js';

export { ReferenceBackend } from './reference-backend.js';
export { referenceKernels, registerReferenceKernels } from './register-all-kernels.js';

export function registerReferenceBackend(): void {
  registerReferenceKernels();
  engine.registerBackend({ name: 'reference', priority: 1, create: () => new ReferenceBackend() });
}

registerReferenceBackend();
