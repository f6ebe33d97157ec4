// Docs example (gemma.md): a Hugging Face checkpoint (config.json + model.safetensors +
// tokenizer.model) loads like a KerasHub preset. The folder is a tiny test checkpoint.
import { fileURLToPath } from 'node:url';

const checkpointFolder = fileURLToPath(new URL('../../../packages/models/test/fixtures/hf_gemma_native', import.meta.url));

// #region usage
import { GemmaBackbone } from '@tensorzoo/models';

// checkpointFolder: config.json, model.safetensors, tokenizer.model (here packages/models/test/fixtures/hf_gemma_native).

// A local folder in transformers' layout; 'hf://owner/repo' downloads the same files and caches them.
const backbone = await GemmaBackbone.fromPreset(checkpointFolder);
const hidden = backbone.apply({ tokenIds: [[2, 5, 6, 7]], paddingMask: [[1, 1, 1, 1]] });
console.log(hidden.shape); // [1, 4, hiddenDim]
// #endregion usage

export { backbone, hidden };
