// The tensorzoo command line. stdout carries only results; progress and errors go to stderr; an
// error is one line and a non-zero exit (2 for bad arguments, 1 otherwise).
import { benchCommand } from './commands/bench.js';
import { chatCommand } from './commands/chat.js';
import { finetuneCommand } from './commands/finetune.js';
import { forwardCommand } from './commands/forward.js';
import { generateCommand } from './commands/generate.js';
import { layoutCommand } from './commands/layout.js';
import { presetsCommand } from './commands/presets.js';
import { quantizeCommand } from './commands/quantize.js';
import { initCommand } from './commands/init.js';
import { exportCommand } from './commands/export.js';
import { serveCommand } from './commands/serve.js';
import { detokenizeCommand, tokenizeCommand } from './commands/tokenize.js';
import { helpText, parseCommand, UsageError, type CommandIO, type CommandSpec } from './usage.js';

export const commands: CommandSpec[] = [generateCommand, finetuneCommand, forwardCommand, tokenizeCommand, detokenizeCommand, layoutCommand, presetsCommand, benchCommand, quantizeCommand];
commands.push(serveCommand, chatCommand);
commands.push(initCommand, exportCommand);

export function registerCommand(command: CommandSpec): void {
  if (!commands.some((existing) => existing.name === command.name)) commands.push(command);
}

function topLevelHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: tensorzoo <command> [options]',
    '',
    'Run and inspect Gemma models in JavaScript.',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary.split('. ')[0]}`),
    '',
    "Run 'tensorzoo <command> --help' for a command's options.",
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr.write(`tensorzoo: unknown command ${JSON.stringify(name)} (expected one of ${commands.map((candidate) => candidate.name).join(', ')})\n`);
    return 2;
  }
  try {
    const parsed = parseCommand(command, rest);
    if (parsed === 'help') {
      io.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(parsed, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`tensorzoo ${error instanceof UsageError ? '' : `${name}: `}${message.split('\n')[0]}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
