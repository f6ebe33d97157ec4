// Task.save_to_preset for GemmaCausalLM (spec §3.2, §3.4): task.json, the backbone's files,
// preprocessor.json, tokenizer.json and assets/tokenizer/vocabulary.spm, as KerasHub writes them,
// so that KerasHub's GemmaCausalLM.from_preset and ours read the folder back.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toKerasConfig } from '../gemma/gemma-config.js';
import { writeBackboneFiles, type SaveToPresetOptions } from '../gemma/gemma-save.js';
import { writePresetFolderAtomically } from '../gemma/preset-directory.js';
import { writeFileAtomic, writeJson } from '../io/index.js';
import type { GemmaTokenizer } from '../tokenizer/index.js';
import type { GemmaCausalLM } from './gemma-causal-lm.js';

const policy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

function serializedTokenizer(tokenizer: GemmaTokenizer) {
  return {
    module: 'keras_hub.src.models.gemma.gemma_tokenizer',
    class_name: 'GemmaTokenizer',
    config: {
      name: tokenizer.name,
      trainable: true,
      dtype: policy('int32'),
      config_file: 'tokenizer.json',
      proto: null,
      sequence_length: tokenizer.sequenceLength,
      add_bos: tokenizer.addBos,
      add_eos: tokenizer.addEos,
    },
    registered_name: 'keras_hub>GemmaTokenizer',
  };
}

/** Writes the whole task preset into a temporary folder first, then renames it into place. */
export async function saveCausalLMToPreset(model: GemmaCausalLM, presetDir: string, options: SaveToPresetOptions = {}): Promise<void> {
  await writePresetFolderAtomically(presetDir, (folder) => writeCausalLMFiles(model, folder, options));
}

async function writeCausalLMFiles(model: GemmaCausalLM, presetDir: string, options: SaveToPresetOptions): Promise<void> {
  await mkdir(presetDir, { recursive: true });
  const backbone = {
    module: 'keras_hub.src.models.gemma.gemma_backbone',
    class_name: 'GemmaBackbone',
    config: toKerasConfig(model.backbone.config),
    registered_name: 'keras_hub>GemmaBackbone',
  };
  const preprocessor = model.preprocessor
    ? {
        module: 'keras_hub.src.models.gemma.gemma_causal_lm_preprocessor',
        class_name: 'GemmaCausalLMPreprocessor',
        config: {
          name: 'gemma_causal_lm_preprocessor',
          trainable: true,
          dtype: policy('float32'),
          tokenizer: serializedTokenizer(model.preprocessor.tokenizer as GemmaTokenizer),
          config_file: 'preprocessor.json',
          sequence_length: model.preprocessor.sequenceLength,
          add_start_token: model.preprocessor.addStartToken,
          add_end_token: model.preprocessor.addEndToken,
        },
        registered_name: 'keras_hub>GemmaCausalLMPreprocessor',
      }
    : null;
  // KerasHub's order: task.json, then the backbone, then the preprocessor and its tokenizer.
  await writeJson(
    join(presetDir, 'task.json'),
    { module: 'keras_hub.src.models.gemma.gemma_causal_lm', class_name: 'GemmaCausalLM', config: { backbone, preprocessor, name: 'gemma_causal_lm' }, registered_name: 'keras_hub>GemmaCausalLM' },
    { indent: 4 },
  );
  await writeBackboneFiles(model.backbone, presetDir, options);
  if (model.preprocessor) {
    const tokenizer = model.preprocessor.tokenizer as GemmaTokenizer;
    await writeJson(join(presetDir, 'preprocessor.json'), preprocessor, { indent: 4 });
    await writeJson(join(presetDir, 'tokenizer.json'), serializedTokenizer(tokenizer), { indent: 4 });
    await mkdir(join(presetDir, 'assets', 'tokenizer'), { recursive: true });
    await writeFileAtomic(join(presetDir, 'assets', 'tokenizer', 'vocabulary.spm'), tokenizer.protoBytes);
  }
}
