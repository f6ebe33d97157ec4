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
  /** Where `-` reads text from (process.stdin when absent). */
  stdin?: NodeJS.ReadableStream;
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

/**
 * A decimal integer option, parsed strictly: Number() would take "1e3", "0x10", " 7 " and
 * "99999999999999999999" (rounded to 100000000000000000000); none of them is accepted here.
 */
export function integerOption(command: string, flag: string, value: string | boolean | undefined, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < minimum || number > maximum)
    throw new UsageError(`${command}: --${flag} expected an integer ≥ ${minimum}, received ${JSON.stringify(value)} (decimal digits, at most ${maximum})`);
  return number;
}

export function numberOption(command: string, flag: string, value: string | boolean | undefined, check: (value: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  // Decimal notation only (Number() would also take "0x10", "0b1" and surrounding spaces).
  const number = typeof value === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (typeof value !== 'string' || !Number.isFinite(number) || !check(number))
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
