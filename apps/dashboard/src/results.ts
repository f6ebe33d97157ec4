// The shape of a benchmarks/results/*.json file and its validation. Used at build time (the Vite
// plugin in vite.config.ts reads and checks every file) and by the tests.

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
}

export interface CaseResult {
  suite: string;
  name: string;
  impl: string;
  threads: number;
  metric: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  samples: number;
  /** The process group the case was measured in; ratios are only taken within one group. */
  group?: string;
}

export interface ResultFile {
  /** The file's name, e.g. `matmul-2026-11-28.json`. */
  file: string;
  /** The date in the file's name (YYYY-MM-DD), or '' when the name has none. */
  date: string;
  machine: Machine;
  cases: CaseResult[];
}

export class ResultsFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`benchmark results ${file}: ${detail}`);
    this.name = 'ResultsFormatError';
  }
}

/** The YYYY-MM-DD date in a results file name, or '' when there is none. */
export function dateOf(fileName: string): string {
  return /(\d{4}-\d{2}-\d{2})/.exec(fileName)?.[1] ?? '';
}

const caseStrings = ['suite', 'name', 'impl', 'metric', 'unit'] as const;
const caseNumbers = ['threads', 'median', 'min', 'max', 'samples'] as const;

/** Checks one parsed results file and returns it typed; throws ResultsFormatError naming the problem. */
export function parseResultFile(file: string, data: unknown): ResultFile {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ResultsFormatError(file, 'expected an object {machine, cases}');
  const { machine, cases } = data as { machine?: unknown; cases?: unknown };
  if (!machine || typeof machine !== 'object') throw new ResultsFormatError(file, 'missing "machine" object');
  const m = machine as Record<string, unknown>;
  for (const key of ['cpu', 'node', 'os'] as const)
    if (typeof m[key] !== 'string') throw new ResultsFormatError(file, `machine.${key} must be a string`);
  if (typeof m.cores !== 'number') throw new ResultsFormatError(file, 'machine.cores must be a number');
  if (!Array.isArray(cases)) throw new ResultsFormatError(file, 'missing "cases" array');
  const checked = cases.map((entry: unknown, index) => {
    if (!entry || typeof entry !== 'object') throw new ResultsFormatError(file, `cases[${index}] is not an object`);
    const record = entry as Record<string, unknown>;
    for (const key of caseStrings)
      if (typeof record[key] !== 'string') throw new ResultsFormatError(file, `cases[${index}].${key} must be a string`);
    for (const key of caseNumbers)
      if (typeof record[key] !== 'number' || !Number.isFinite(record[key])) throw new ResultsFormatError(file, `cases[${index}].${key} must be a finite number`);
    if (record.group !== undefined && typeof record.group !== 'string') throw new ResultsFormatError(file, `cases[${index}].group must be a string`);
    return record as unknown as CaseResult;
  });
  return {
    file,
    date: dateOf(file),
    machine: { cpu: m.cpu as string, cores: m.cores as number, node: m.node as string, os: m.os as string },
    cases: checked,
  };
}

/** Orders files oldest first: by the date in their names, then by name. */
export function chronological(files: ResultFile[]): ResultFile[] {
  return [...files].sort((a, b) => (a.date === b.date ? a.file.localeCompare(b.file) : a.date.localeCompare(b.date)));
}
