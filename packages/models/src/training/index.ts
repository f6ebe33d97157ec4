// Training: GemmaCausalLM.fit's loop, its data handling and the batch loss.
export { causalLMLoss, fitCausalLM, type FitHistory, type FitOptions, type FitStep } from './fit.js';
export { shuffledOrder, trainingRows, type FitData } from './training-data.js';
