// The text a command works on (tokenize's TEXT, generate's PROMPT): the one positional argument,
// `-` for standard input, or `--file PATH`. A long prompt as an argument fails at exec with E2BIG
// (about 128 KiB per argument on Linux); stdin and files have no such limit, only the bound below.
import { open } from 'node:fs/promises';
import { UsageError, type CommandIO } from './usage.js';

/** The longest text read from stdin or a file (the CLI holds it, its ids and its pieces in memory). */
export const maxTextBytes = 64 * 1024 * 1024;

export interface TextSource {
  command: string;
  /** What the positional is called in the usage line: TEXT or PROMPT. */
  name: string;
  positionals: readonly string[];
  file: string | boolean | undefined;
}

export async function readTextInput({ command, name, positionals, file }: TextSource, io: CommandIO): Promise<string> {
  if (file !== undefined) {
    if (positionals.length) throw new UsageError(`${command}: expected ${name} or --file PATH, not both (received ${positionals.length} ${name} argument(s) and --file)`);
    if (typeof file !== 'string' || file === '') throw new UsageError(`${command}: --file expected a path, received ${JSON.stringify(file)}`);
    return readTextFile(command, file);
  }
  if (positionals.length !== 1)
    throw new UsageError(`${command}: expected exactly one ${name} argument (or - for stdin, or --file PATH), received ${positionals.length} (quote the text)`);
  if (positionals[0] === '-') return readStream(command, io.stdin ?? process.stdin);
  return positionals[0]!;
}

async function readTextFile(command: string, path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new UsageError(`${command}: --file expected a readable text file, received ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new UsageError(`${command}: --file expected a regular file, received ${path} (a ${stat.isDirectory() ? 'directory' : 'special file'})`);
    if (stat.size > maxTextBytes) throw new UsageError(`${command}: --file expected at most ${maxTextBytes} bytes, received ${path} of ${stat.size} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function readStream(command: string, stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
    bytes += buffer.byteLength;
    if (bytes > maxTextBytes) throw new UsageError(`${command}: standard input expected at most ${maxTextBytes} bytes, received more`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
