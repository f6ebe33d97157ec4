// Path string helpers without `node:path`, so modules that browsers load (the byte-level
// readers and writers) import nothing from Node. Node accepts "/" on every platform, and a
// folder given with "\" separators keeps them.

/** `folder` joined with a plain file name. */
export function joinPath(folder: string, name: string): string {
  if (folder === '') return name;
  return /[/\\]$/.test(folder) ? `${folder}${name}` : `${folder}/${name}`;
}

/** Index of the last separator, or -1. */
function lastSeparator(path: string): number {
  return Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
}

/** The folder part of a path ("." when there is none). */
export function parentFolder(path: string): string {
  const index = lastSeparator(path);
  if (index < 0) return '.';
  return index === 0 ? path.slice(0, 1) : path.slice(0, index);
}

/** The last part of a path. */
export function baseName(path: string): string {
  return path.slice(lastSeparator(path) + 1);
}
