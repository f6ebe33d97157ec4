// Argument parsing shared by every subcommand: node's parseArgs with typed options, --help text,
// and errors that name the flag, the expected and the received value.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** One line per option, in the order shown by --help. */
  optionHelp: [flag: string, description: string][];
  run(parsed: ParsedCommand, io: CommandIO): Promise<number>;
}

export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand | 'help' {
  try {
    const parsed = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (parsed.values.help) return 'help';
    return { values: parsed.values as ParsedCommand['values'], positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${spec.name}: ${(error as Error).message.replace(/\. To specify a positional argument.*$/, '')} (see tensorzoo ${spec.name} --help)`);
  }
}

export function helpText(spec: CommandSpec): string {
  const width = Math.max(...spec.optionHelp.map(([flag]) => flag.length), 10);
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, ''];
  if (spec.optionHelp.length) {
    lines.push('Options:');
    for (const [flag, description] of spec.optionHelp) lines.push(`  ${flag.padEnd(width)}  ${description}`);
    lines.push(`  ${'-h, --help'.padEnd(width)}  Show this help`);
  }
  return `${lines.join('\n')}\n`;
}

export function integerOption(command: string, flag: string, value: string | boolean | undefined, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(number) || number < minimum)
    throw new UsageError(`${command}: --${flag} expected an integer ≥ ${minimum}, received ${JSON.stringify(value)}`);
  return number;
}

export function numberOption(command: string, flag: string, value: string | boolean | undefined, check: (value: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(number) || !check(number))
    throw new UsageError(`${command}: --${flag} expected ${expected}, received ${JSON.stringify(value)}`);
  return number;
}

export function choiceOption<T extends string>(command: string, flag: string, value: string | boolean | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !choices.includes(value as T))
    throw new UsageError(`${command}: --${flag} expected one of ${choices.join(', ')}, received ${JSON.stringify(value)}`);
  return value as T;
}

export function requiredString(command: string, flag: string, value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${command}: --${flag} is required (see tensorzoo ${command} --help)`);
  return value;
}
