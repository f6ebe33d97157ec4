// One error type for every checkpoint problem, so callers can catch it and read which file and
// which tensor were at fault without parsing the message.

import { TensorzooError } from '@tensorzoo/core';

export interface CheckpointErrorLocation {
  /** The file (path or name) being read or written. */
  file?: string;
  /** The tensor: an h5 dataset path, a safetensors key or a variable path. */
  tensor?: string;
}

// A TensorzooError, so callers (the CLI, the fuzz tests) catch every bad-input error as one type.
export class CheckpointError extends TensorzooError {
  readonly file: string | undefined;
  readonly tensor: string | undefined;

  constructor(message: string, location: CheckpointErrorLocation = {}, options?: { cause?: unknown }) {
    const parts: string[] = [];
    if (location.file !== undefined) parts.push(location.file);
    if (location.tensor !== undefined) parts.push(`tensor "${location.tensor}"`);
    super(parts.length > 0 ? `${parts.join(', ')}: ${message}` : message, options);
    this.name = 'CheckpointError';
    this.file = location.file;
    this.tensor = location.tensor;
  }
}

/** The message of anything thrown, for wrapping lower-level errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
