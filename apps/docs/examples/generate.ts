// Docs example (getting-started.md, gemma.md): text generation with the embedded
// tinycode-gemma2-6m model (models/tinycode-gemma2-6m, shipped in the repository).
// #region usage
import { GemmaCausalLM } from '@tensorzoo/models';

const model = await GemmaCausalLM.fromPreset(); // no argument: the embedded model

// Greedy (the default): maxLength counts the prompt's tokens too.
const greedy = model.generate('def add(a, b):', { maxLength: 16 });
console.log(greedy);

// Sampling, reproducible with a seed; tokens can be streamed as they are produced.
const pieces: string[] = [];
const sampled = model.generate('import numpy as np\n', {
  maxLength: 16,
  sampler: { name: 'top_k', k: 5, seed: 7 },
  onToken: (token) => pieces.push(token.text ?? ''),
});
console.log(sampled, pieces.length);
// #endregion usage

export { model, greedy, sampled, pieces };
