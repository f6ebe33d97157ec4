// Preset handles, local folders, cache location and the checks on names read from hub files.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PresetFileNotFoundError,
  parsePresetHandle,
  presetCacheRoot,
  presetFormatOf,
  resolvePreset,
  validateShardName,
  writeFileAtomic,
} from '../../src/presets/index.js';

describe('parsePresetHandle', () => {
  it('turns a built-in name into its Kaggle handle', () => {
    expect(parsePresetHandle('gemma_1.1_instruct_2b_en')).toEqual({
      kind: 'kaggle',
      handle: 'kaggle://keras/gemma/keras/gemma_1.1_instruct_2b_en/4',
      presetName: 'gemma_1.1_instruct_2b_en',
      owner: 'keras',
      model: 'gemma',
      framework: 'keras',
      variation: 'gemma_1.1_instruct_2b_en',
      version: 4,
    });
  });

  it('reads kaggle:// handles with and without a version, scheme case-insensitively', () => {
    expect(parsePresetHandle('kaggle://me/gemma/keras/tiny')).toMatchObject({ kind: 'kaggle', owner: 'me', variation: 'tiny' });
    expect(parsePresetHandle('kaggle://me/gemma/keras/tiny')).not.toHaveProperty('version');
    expect(parsePresetHandle('KAGGLE://me/gemma/keras/tiny/12')).toMatchObject({ version: 12 });
  });

  it('insists on 4 or 5 Kaggle segments', () => {
    expect(() => parsePresetHandle('kaggle://keras/gemma/gemma_2b_en')).toThrow(
      /Kaggle preset handles have the form kaggle:\/\/owner\/model\/keras\/variation\[\/version\] .*received "kaggle:\/\/keras\/gemma\/gemma_2b_en" with 3 segments/,
    );
    expect(() => parsePresetHandle('kaggle://a/b/keras/c/1/extra')).toThrow(/with 6 segments/);
    expect(() => parsePresetHandle('kaggle://a/b/keras/c/latest')).toThrow(/version .* must be a positive integer; received "latest"/);
    expect(() => parsePresetHandle('kaggle://a/b/keras/c/0')).toThrow(/positive integer/);
  });

  it('refuses segments that could escape the cache or alter URLs', () => {
    for (const handle of ['kaggle://../b/keras/c', 'kaggle://a/b/keras/..', 'kaggle://a/b/keras/c?x=1', 'kaggle://a//keras/c', 'hf://a/..', 'hf://.hidden/repo', 'hf://a/b c'])
      expect(() => parsePresetHandle(handle), handle).toThrow(/must be made of letters, digits/);
  });

  it('reads hf:// handles as owner/repository only', () => {
    expect(parsePresetHandle('hf://google/gemma-2b')).toEqual({ kind: 'huggingFace', handle: 'hf://google/gemma-2b', owner: 'google', repository: 'gemma-2b' });
    expect(() => parsePresetHandle('hf://google')).toThrow(/hf:\/\/owner\/repository/);
    expect(() => parsePresetHandle('hf://google/gemma/tree')).toThrow(/no revision syntax/);
  });

  it('treats text without a scheme as a local folder and refuses unknown schemes', () => {
    expect(parsePresetHandle('./my_preset')).toEqual({ kind: 'local', handle: './my_preset', directory: './my_preset' });
    expect(() => parsePresetHandle('gs://bucket/preset')).toThrow(/unknown preset identifier "gs:\/\/bucket\/preset" \(scheme "gs"\).*Built-in Gemma presets: gemma_2b_en/);
    expect(() => parsePresetHandle('')).toThrow(/argument 'handle' expected a built-in preset name/);
    expect(() => parsePresetHandle(42 as never)).toThrow(/argument 'handle'/);
  });
});

describe('local presets', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'tensorzoo-local-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const write = (name: string, content: string) => {
    mkdirSync(join(folder, ...name.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(folder, ...name.split('/')), content);
  };

  it('lists the files of a KerasHub folder without copying it', async () => {
    write('config.json', '{"registered_name": "keras_hub>GemmaBackbone"}');
    write('tokenizer.json', '{}');
    write('assets/tokenizer/vocabulary.spm', 'spm');
    write('model.weights.h5', 'h5');
    const resolved = await resolvePreset(folder);
    expect(resolved).toEqual({
      directory: folder,
      handle: folder,
      source: 'local',
      format: 'keras',
      files: ['config.json', 'tokenizer.json', 'assets/tokenizer/vocabulary.spm', 'model.weights.h5'],
      fromCache: true,
    });
  });

  it('names what a local folder lacks', async () => {
    write('config.json', '{"registered_name": "keras_hub>GemmaBackbone"}');
    write('tokenizer.json', '{}');
    await expect(resolvePreset(folder)).rejects.toThrow(PresetFileNotFoundError);
    await expect(resolvePreset(folder)).rejects.toThrow(/`assets\/tokenizer\/vocabulary.spm` doesn't exist in preset/);
    rmSync(join(folder, 'config.json'));
    await expect(resolvePreset(folder)).rejects.toThrow(/`config.json` doesn't exist in preset/);
  });

  it('rejects a folder that does not exist and config.json that is not JSON', async () => {
    await expect(resolvePreset(join(folder, 'missing'))).rejects.toThrow(/is not a built-in preset, a kaggle:\/\/ or hf:\/\/ handle, or an existing local directory/);
    write('config.json', '{oops');
    await expect(resolvePreset(folder)).rejects.toThrow(/`config.json` in preset .* is not valid JSON/);
  });
});

describe('presetFormatOf', () => {
  it("detects the layout as KerasHub's get_preset_loader does", () => {
    expect(presetFormatOf({ registered_name: 'keras_hub>GemmaBackbone', model_type: 'x' }, 'p')).toBe('keras');
    expect(presetFormatOf({ model_type: 'gemma' }, 'p')).toBe('transformers');
    expect(() => presetFormatOf({ architecture: 'resnet50' }, 'p')).toThrow(/timm checkpoint/);
    expect(() => presetFormatOf([], 'p')).toThrow(/neither "registered_name" \(KerasHub\) nor "model_type"/);
  });
});

describe('validateShardName', () => {
  it('accepts relative names and rejects anything that could leave the preset', () => {
    expect(validateShardName('model_00000.weights.h5', 'model.weights.json', 'p')).toBe('model_00000.weights.h5');
    expect(validateShardName('shards/part-1.safetensors', 'index', 'p')).toBe('shards/part-1.safetensors');
    const cases: [unknown, RegExp][] = [
      ['../model.h5', /'\.\.' segment/],
      ['a/../../b', /'\.\.' segment/],
      ['/etc/passwd', /absolute path/],
      ['C:/x.h5', /drive letter/],
      ['a\\b.h5', /backslash/],
      ['a//b', /empty or "\." path segment/],
      ['./a', /empty or "\." path segment/],
      ['a\u0000b', /control characters/],
      ['', /not a non-empty string/],
      [7, /not a non-empty string/],
    ];
    for (const [name, reason] of cases) expect(() => validateShardName(name, 'model.weights.json', 'p'), String(name)).toThrow(reason);
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file through a temporary file and leaves nothing else behind', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-atomic-'));
    try {
      const target = join(folder, 'config.json');
      await writeFileAtomic(target, '{"a": 1}');
      await writeFileAtomic(target, new Uint8Array([123, 125]));
      expect(readFileSync(target, 'utf8')).toBe('{}');
      expect(readdirSync(folder)).toEqual(['config.json']);
      await expect(writeFileAtomic(join(folder, 'missing', 'x.json'), 'x')).rejects.toThrow(/ENOENT/);
      expect(readdirSync(folder)).toEqual(['config.json']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('presetCacheRoot', () => {
  it('prefers TENSORZOO_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(presetCacheRoot({ TENSORZOO_CACHE: '/data/tz', XDG_CACHE_HOME: '/xdg' })).toBe('/data/tz');
    expect(presetCacheRoot({ XDG_CACHE_HOME: '/xdg' })).toBe(join('/xdg', 'tensorzoo'));
    expect(presetCacheRoot({}, 'linux')).toBe(join(homedir(), '.cache', 'tensorzoo'));
    expect(presetCacheRoot({ LOCALAPPDATA: 'C:/Users/me/AppData/Local' }, 'win32')).toBe(join('C:/Users/me/AppData/Local', 'tensorzoo'));
  });
});
