// Runs the tensorzoo CLI in-process with captured stdout/stderr (shared by the CLI tests).
import { PassThrough } from 'node:stream';
import { main } from '@tensorzoo/cli';

export async function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk));
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}
