// Reverse-mode automatic differentiation (see gradients.ts for the API, tape.ts for how it works).
export { grad, grads, gradientsOf, valueAndGrad, valueAndGrads, type ValueAndGradients } from './gradients.js';
export { getGradient, listGradients, registerGradient, type DifferentiableName, type GradientConfig, type SavedKernel } from './gradient-registry.js';
