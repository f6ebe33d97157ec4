// Where the two model hubs keep a preset's files, and the credentials each hub's own client
// reads from the environment.
//
// Kaggle Models. kagglehub.model_download(handle, path) (what KerasHub calls) fetches one file of
// a model variation version through Kaggle's public API v1 REST routes, which kagglesdk declares
// for its ApiDownloadModelInstanceVersionRequest and ApiGetModelInstanceRequest and which
// kagglehub called directly before moving to kagglesdk (Kaggle/kagglehub http_resolver.py,
// `_build_model_download_url_path`, `_build_get_instance_url_path`):
//   file:     GET <base>/api/v1/models/<owner>/<model>/<framework>/<variation>/<version>/download/<path>
//   latest:   GET <base>/api/v1/models/<owner>/<model>/<framework>/<variation>/get
//             → JSON whose `versionNumber` is the variation's current version
// with <base> = https://www.kaggle.com. The download route answers with a redirect to a signed
// storage URL on another host, so credentials must not follow redirects (see download.ts).
// Credentials, in kagglesdk's order (kaggle_env.get_access_token_from_env, then
// kaggle_http_client): KAGGLE_API_TOKEN, the token itself or the path of a file holding it, sent
// as "Authorization: Bearer <token>"; else KAGGLE_USERNAME + KAGGLE_KEY as HTTP basic auth.
// (The ~/.kaggle files that kagglehub also reads are not consulted: set the variables instead.)
//
// Hugging Face. huggingface_hub.hf_hub_download resolves a file as
//   GET <base>/<owner>/<repository>/resolve/main/<path>
// with <base> = https://huggingface.co, and sends "Authorization: Bearer <token>" from HF_TOKEN
// (or the older HUGGING_FACE_HUB_TOKEN).
//
// Base URLs come from the options, else TENSORZOO_KAGGLE_BASE_URL / TENSORZOO_HF_BASE_URL, else
// the public hubs. They must be https, except loopback hosts (a local mirror or a test server).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { TensorzooError } from '@tensorzoo/core';
import { kaggleHandlePath, type HuggingFaceHandle, type KaggleHandle } from './handles.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export const defaultKaggleBaseUrl = 'https://www.kaggle.com';
export const defaultHuggingFaceBaseUrl = 'https://huggingface.co';

/** An Authorization header value that may be sent only to URLs on `origin`. */
export interface HubCredential {
  readonly origin: string;
  readonly authorization: string;
  /** Where it came from, for messages (never the secret itself). */
  readonly source: string;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL may be fetched: https anywhere, plain http only on the loopback interface. */
export function isAllowedDownloadUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

export function checkBaseUrl(option: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TensorzooError(`resolvePreset: ${option} expected an absolute URL such as 'https://huggingface.co', received ${JSON.stringify(value)}`);
  }
  if (!isAllowedDownloadUrl(url) || url.search !== '' || url.hash !== '')
    throw new TensorzooError(
      `resolvePreset: ${option} expected an https URL without query or fragment (http only for 127.0.0.1, ` +
        `localhost or [::1]), received ${JSON.stringify(value)}`,
    );
  return url;
}

function join(base: URL, segments: readonly string[]): string {
  const prefix = base.href.endsWith('/') ? base.href : `${base.href}/`;
  return prefix + segments.map((segment) => encodeURIComponent(segment)).join('/');
}

/** A preset file path ("assets/tokenizer/vocabulary.spm") as URL path segments. */
function fileSegments(file: string): string[] {
  return file.split('/');
}

export function kaggleFileUrl(base: URL, handle: KaggleHandle, version: number, file: string): string {
  return join(base, ['api', 'v1', 'models', ...kaggleHandlePath(handle, version).split('/'), 'download', ...fileSegments(file)]);
}

export function kaggleLatestVersionUrl(base: URL, handle: KaggleHandle): string {
  return join(base, ['api', 'v1', 'models', ...kaggleHandlePath(handle, undefined).split('/'), 'get']);
}

export function huggingFaceFileUrl(base: URL, handle: HuggingFaceHandle, file: string): string {
  return join(base, [handle.owner, handle.repository, 'resolve', 'main', ...fileSegments(file)]);
}

function readTokenFile(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    const token = readFileSync(path, 'utf8').trim();
    return token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

export function kaggleCredential(base: URL, env: Environment): HubCredential | undefined {
  const apiToken = env['KAGGLE_API_TOKEN']?.trim();
  if (apiToken) {
    // kagglesdk treats a value naming an existing file as the file holding the token.
    const token = existsSync(apiToken) ? readTokenFile(apiToken) : apiToken;
    if (token) return { origin: base.origin, authorization: `Bearer ${token}`, source: 'KAGGLE_API_TOKEN' };
  }
  const username = env['KAGGLE_USERNAME'];
  const key = env['KAGGLE_KEY'];
  if (username && key)
    return {
      origin: base.origin,
      authorization: `Basic ${Buffer.from(`${username}:${key}`, 'utf8').toString('base64')}`,
      source: 'KAGGLE_USERNAME and KAGGLE_KEY',
    };
  return undefined;
}

export function huggingFaceCredential(base: URL, env: Environment): HubCredential | undefined {
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const token = env[name]?.trim();
    if (token) return { origin: base.origin, authorization: `Bearer ${token}`, source: name };
  }
  return undefined;
}

export const kaggleCredentialHint =
  'set KAGGLE_API_TOKEN, or KAGGLE_USERNAME and KAGGLE_KEY (from https://www.kaggle.com/settings).';
export const huggingFaceCredentialHint =
  'set HF_TOKEN to an access token of an account that has been granted access (https://huggingface.co/settings/tokens).';
