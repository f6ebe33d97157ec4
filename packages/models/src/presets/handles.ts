// Parsing preset handles the way KerasHub's get_file reads them (spec gemma.md §3.3):
//   1. a built-in preset name is replaced by its Kaggle handle;
//   2. the scheme is the text before "://", lower-cased:
//      kaggle://owner/model/framework/variation[/version]  (exactly 4 or 5 segments)
//      hf://owner/repository                               (no revision syntax)
//   3. text without a scheme is a local directory.
// Every segment that later becomes part of a cache path or URL is checked here, so that a handle
// can never name a folder outside the cache ("..", separators) or smuggle URL syntax.
import { TensorzooError, argumentError } from '@tensorzoo/core';
import { gemmaPresetNames, gemmaPresets, isGemmaPresetName } from './gemma-presets.js';

export interface KaggleHandle {
  readonly kind: 'kaggle';
  /** What the caller passed (a built-in name or the kaggle:// handle itself). */
  readonly handle: string;
  /** The built-in preset name, when the caller used one. */
  readonly presetName?: string;
  readonly owner: string;
  readonly model: string;
  readonly framework: string;
  readonly variation: string;
  /** The model variation version; undefined means "the latest", asked of Kaggle when resolving. */
  readonly version?: number;
}

export interface HuggingFaceHandle {
  readonly kind: 'huggingFace';
  readonly handle: string;
  readonly owner: string;
  readonly repository: string;
}

export interface LocalHandle {
  readonly kind: 'local';
  readonly handle: string;
  readonly directory: string;
}

export type PresetHandle = KaggleHandle | HuggingFaceHandle | LocalHandle;

// Kaggle slugs and Hugging Face repository ids: letters, digits, '.', '_' and '-', not starting
// with punctuation (which also excludes "." and ".." as whole segments).
const slugPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const versionPattern = /^[1-9][0-9]*$/;

const handleForms =
  "a built-in preset name (e.g. 'gemma_2b_en'), a Kaggle handle " +
  "'kaggle://owner/model/keras/variation[/version]', a Hugging Face handle 'hf://owner/repository', " +
  'or a local preset directory';

function checkSlug(handle: string, what: string, segment: string): string {
  if (!slugPattern.test(segment) || segment.includes('..'))
    throw new TensorzooError(
      `resolvePreset: the ${what} in preset handle ${JSON.stringify(handle)} must be made of letters, digits, ` +
        `'.', '_' and '-' (not starting with punctuation, no '..'); received ${JSON.stringify(segment)}`,
    );
  return segment;
}

function parseKaggle(handle: string, rest: string, presetName?: string): KaggleHandle {
  const segments = rest.split('/');
  if (segments.length !== 4 && segments.length !== 5)
    throw new TensorzooError(
      `resolvePreset: Kaggle preset handles have the form kaggle://owner/model/keras/variation[/version] ` +
        `(4 or 5 segments, e.g. 'kaggle://keras/gemma/keras/gemma_2b_en/3'); received ${JSON.stringify(handle)} ` +
        `with ${segments.length} segment${segments.length === 1 ? '' : 's'}`,
    );
  const [owner, model, framework, variation, version] = segments as [string, string, string, string, string?];
  if (version !== undefined && !versionPattern.test(version))
    throw new TensorzooError(
      `resolvePreset: the version in Kaggle preset handle ${JSON.stringify(handle)} must be a positive integer; ` +
        `received ${JSON.stringify(version)}`,
    );
  return {
    kind: 'kaggle',
    handle,
    ...(presetName === undefined ? {} : { presetName }),
    owner: checkSlug(handle, 'owner', owner),
    model: checkSlug(handle, 'model', model),
    framework: checkSlug(handle, 'framework', framework),
    variation: checkSlug(handle, 'variation', variation),
    ...(version === undefined ? {} : { version: Number(version) }),
  };
}

function parseHuggingFace(handle: string, rest: string): HuggingFaceHandle {
  const segments = rest.split('/');
  if (segments.length !== 2)
    throw new TensorzooError(
      `resolvePreset: Hugging Face preset handles have the form hf://owner/repository ` +
        `(e.g. 'hf://google/gemma-2b'; no revision syntax); received ${JSON.stringify(handle)}`,
    );
  return {
    kind: 'huggingFace',
    handle,
    owner: checkSlug(handle, 'owner', segments[0]!),
    repository: checkSlug(handle, 'repository', segments[1]!),
  };
}

/**
 * Parses a preset handle without touching the network or the file system. Whether a local
 * directory exists is checked by resolvePreset.
 */
export function parsePresetHandle(handle: string): PresetHandle {
  if (typeof handle !== 'string' || handle.length === 0) argumentError('resolvePreset', 'handle', handleForms, handle);
  if (isGemmaPresetName(handle)) {
    const kaggleHandle = gemmaPresets[handle]!.kaggleHandle;
    return parseKaggle(kaggleHandle, kaggleHandle.slice('kaggle://'.length), handle);
  }
  const separator = handle.indexOf('://');
  if (separator < 0) return { kind: 'local', handle, directory: handle };
  const scheme = handle.slice(0, separator).toLowerCase();
  const rest = handle.slice(separator + 3);
  if (scheme === 'kaggle') return parseKaggle(handle, rest);
  if (scheme === 'hf') return parseHuggingFace(handle, rest);
  throw new TensorzooError(
    `resolvePreset: unknown preset identifier ${JSON.stringify(handle)} (scheme ${JSON.stringify(scheme)}). ` +
      `A preset must be ${handleForms}. Built-in Gemma presets: ${gemmaPresetNames.join(', ')}`,
  );
}

/** The Kaggle handle without scheme, with the version when known (kagglehub's handle form). */
export function kaggleHandlePath(handle: KaggleHandle, version: number | undefined): string {
  const base = `${handle.owner}/${handle.model}/${handle.framework}/${handle.variation}`;
  return version === undefined ? base : `${base}/${version}`;
}
