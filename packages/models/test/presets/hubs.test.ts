// Hub URL schemes and where credentials come from (see the provenance notes in src/presets/hubs.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePresetHandle, type HuggingFaceHandle, type KaggleHandle } from '../../src/presets/index.js';
import {
  checkBaseUrl,
  huggingFaceCredential,
  huggingFaceFileUrl,
  kaggleCredential,
  kaggleFileUrl,
  kaggleLatestVersionUrl,
} from '../../src/presets/hubs.js';

const kaggle = parsePresetHandle('gemma_1.1_instruct_2b_en') as KaggleHandle;
const huggingFace = parsePresetHandle('hf://google/gemma-2b') as HuggingFaceHandle;

describe('hub URLs', () => {
  it("use Kaggle's API v1 model routes", () => {
    const base = checkBaseUrl('kaggleBaseUrl', 'https://www.kaggle.com');
    expect(kaggleFileUrl(base, kaggle, 4, 'assets/tokenizer/vocabulary.spm')).toBe(
      'https://www.kaggle.com/api/v1/models/keras/gemma/keras/gemma_1.1_instruct_2b_en/4/download/assets/tokenizer/vocabulary.spm',
    );
    expect(kaggleLatestVersionUrl(base, kaggle)).toBe('https://www.kaggle.com/api/v1/models/keras/gemma/keras/gemma_1.1_instruct_2b_en/get');
  });

  it("use Hugging Face's resolve/main scheme, under a base URL with a path too", () => {
    expect(huggingFaceFileUrl(checkBaseUrl('huggingFaceBaseUrl', 'https://huggingface.co'), huggingFace, 'model-00001-of-00002.safetensors')).toBe(
      'https://huggingface.co/google/gemma-2b/resolve/main/model-00001-of-00002.safetensors',
    );
    expect(huggingFaceFileUrl(checkBaseUrl('huggingFaceBaseUrl', 'http://127.0.0.1:8080/mirror/'), huggingFace, 'config.json')).toBe(
      'http://127.0.0.1:8080/mirror/google/gemma-2b/resolve/main/config.json',
    );
  });

  it('encodes characters that would change the URL', () => {
    const base = checkBaseUrl('huggingFaceBaseUrl', 'https://huggingface.co');
    expect(huggingFaceFileUrl(base, huggingFace, 'shards/part #1?.safetensors')).toBe(
      'https://huggingface.co/google/gemma-2b/resolve/main/shards/part%20%231%3F.safetensors',
    );
  });

  it('accept https anywhere and http only on loopback, without query or fragment', () => {
    expect(checkBaseUrl('kaggleBaseUrl', 'http://localhost:9000').origin).toBe('http://localhost:9000');
    expect(() => checkBaseUrl('kaggleBaseUrl', 'http://10.0.0.1')).toThrow(/expected an https URL/);
    expect(() => checkBaseUrl('kaggleBaseUrl', 'https://mirror.example/?token=x')).toThrow(/without query or fragment/);
    expect(() => checkBaseUrl('kaggleBaseUrl', 'ftp://mirror.example')).toThrow(/expected an https URL/);
  });
});

describe('credentials', () => {
  const base = new URL('https://www.kaggle.com');

  it("read Kaggle's variables in kagglesdk's order", () => {
    expect(kaggleCredential(base, {})).toBeUndefined();
    expect(kaggleCredential(base, { KAGGLE_USERNAME: 'me' })).toBeUndefined();
    expect(kaggleCredential(base, { KAGGLE_USERNAME: 'me', KAGGLE_KEY: 'k' })).toEqual({
      origin: 'https://www.kaggle.com',
      authorization: `Basic ${Buffer.from('me:k').toString('base64')}`,
      source: 'KAGGLE_USERNAME and KAGGLE_KEY',
    });
    expect(kaggleCredential(base, { KAGGLE_API_TOKEN: 'KGAT_1', KAGGLE_USERNAME: 'me', KAGGLE_KEY: 'k' })?.authorization).toBe('Bearer KGAT_1');
  });

  it('read KAGGLE_API_TOKEN as a file when it names one', () => {
    const folder = mkdtempSync(join(tmpdir(), 'tensorzoo-token-'));
    try {
      writeFileSync(join(folder, 'access_token'), 'KGAT_from_file\n');
      expect(kaggleCredential(base, { KAGGLE_API_TOKEN: join(folder, 'access_token') })?.authorization).toBe('Bearer KGAT_from_file');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('read HF_TOKEN before HUGGING_FACE_HUB_TOKEN', () => {
    const hf = new URL('https://huggingface.co');
    expect(huggingFaceCredential(hf, {})).toBeUndefined();
    expect(huggingFaceCredential(hf, { HF_TOKEN: 'new', HUGGING_FACE_HUB_TOKEN: 'old' })).toEqual({ origin: 'https://huggingface.co', authorization: 'Bearer new', source: 'HF_TOKEN' });
    expect(huggingFaceCredential(hf, { HF_TOKEN: ' ', HUGGING_FACE_HUB_TOKEN: 'old' })?.authorization).toBe('Bearer old');
  });
});
