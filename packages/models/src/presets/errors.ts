// Errors raised while resolving and downloading presets. Each says which preset and file it is
// about, what happened and what to do; the HTTP status and URL are kept as fields for callers.
import { TensorzooError } from '@tensorzoo/core';

export class PresetError extends TensorzooError {
  override name = 'PresetError';
}

/** The hub answered 404 (or a local folder lacks the file): the file is not part of the preset. */
export class PresetFileNotFoundError extends PresetError {
  override name = 'PresetFileNotFoundError';
  constructor(
    readonly preset: string,
    readonly file: string,
    readonly url?: string,
  ) {
    super(
      `\`${file}\` doesn't exist in preset \`${preset}\`` +
        (url === undefined ? '' : ` (HTTP 404 from ${url})`) +
        '. Check the handle, the version and the file name.',
    );
  }
}

/** The hub answered 401 or 403: credentials are missing or wrong, or the model is gated. */
export class PresetAccessError extends PresetError {
  override name = 'PresetAccessError';
  constructor(
    readonly preset: string,
    readonly file: string,
    readonly status: number,
    readonly url: string,
    credentialHint: string,
  ) {
    super(
      `\`${file}\` in preset \`${preset}\` is not accessible (HTTP ${status} from ${url}). If the model is ` +
        `gated, accept its terms on the hub's website with your account, then retry with credentials: ` +
        credentialHint,
    );
  }
}

/** The download failed for another reason (server errors, lost connections) after every retry. */
export class PresetDownloadError extends PresetError {
  override name = 'PresetDownloadError';
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
