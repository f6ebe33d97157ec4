// Docs example (packages/models.md): the SentencePiece-based GemmaTokenizer of a preset.
import { fileURLToPath } from 'node:url';

const presetFolder = fileURLToPath(new URL('../../../models/tinycode-gemma2-6m', import.meta.url));

// #region usage
import { GemmaTokenizer } from '@tensorzoo/models';

// presetFolder: a preset with assets/tokenizer/vocabulary.spm (here models/tinycode-gemma2-6m).

const tokenizer = await GemmaTokenizer.fromPreset(presetFolder);
const ids = tokenizer.tokenize('def forward(self, x):');
console.log(ids); // token ids, without <bos>
console.log(tokenizer.detokenize(ids)); // 'def forward(self, x):'
console.log(tokenizer.endTokenId); // the id of <eos>
// #endregion usage

export { tokenizer, ids };
