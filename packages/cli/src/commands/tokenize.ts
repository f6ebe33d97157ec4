// tensorzoo tokenize / detokenize with a preset's tokenizer or a SentencePiece model file.
import { readFile } from 'node:fs/promises';
import { GemmaTokenizer, SentencePieceProcessor } from '@tensorzoo/models';
import { readTextInput } from '../text-input.js';
import { UsageError, type CommandSpec, type ParsedCommand } from '../usage.js';

interface PieceTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  idToPiece(id: number): string;
  encodeAsPieces(text: string): string[];
  readonly vocabularySize: number;
}

async function loadTokenizer(command: string, values: ParsedCommand['values']): Promise<PieceTokenizer> {
  if ((values.preset === undefined) === (values.spm === undefined))
    throw new UsageError(`${command}: expected exactly one of --preset P or --spm FILE`);
  if (typeof values.spm === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(values.spm));
    } catch (error) {
      throw new UsageError(`${command}: --spm expected a readable SentencePiece model file, received ${values.spm} (${(error as Error).message})`);
    }
    return SentencePieceProcessor.fromBytes(bytes);
  }
  const tokenizer = await GemmaTokenizer.fromPreset(values.preset as string);
  return tokenizer.processor;
}

const sharedOptions = { preset: { type: 'string' as const }, spm: { type: 'string' as const } };
const sharedHelp: [string, string][] = [
  ['--preset P', "use the preset's tokenizer (assets/tokenizer/vocabulary.spm or tokenizer.model)"],
  ['--spm FILE', 'use a SentencePiece model file'],
];

export const tokenizeCommand: CommandSpec = {
  name: 'tokenize',
  summary: 'Print the token ids and pieces of TEXT as JSON {"ids": [...], "pieces": [...]}.',
  usage: 'tensorzoo tokenize (--preset P | --spm FILE) (TEXT | - | --file PATH)',
  options: { ...sharedOptions, file: { type: 'string' } },
  optionHelp: [...sharedHelp, ['--file PATH', 'read TEXT from a file (TEXT - reads standard input)']],
  async run({ values, positionals }, io) {
    const text = await readTextInput({ command: 'tokenize', name: 'TEXT', positionals, file: values.file }, io);
    const tokenizer = await loadTokenizer('tokenize', values);
    const ids = tokenizer.encode(text);
    // Pieces as the library reports them (a run of unknown characters is one <unk> id whose piece is its text).
    io.stdout.write(`${JSON.stringify({ ids, pieces: tokenizer.encodeAsPieces(text) })}\n`);
    return 0;
  },
};

export const detokenizeCommand: CommandSpec = {
  name: 'detokenize',
  summary: 'Print the text of token IDS.',
  usage: 'tensorzoo detokenize (--preset P | --spm FILE) IDS...',
  options: sharedOptions,
  optionHelp: sharedHelp,
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('detokenize: expected at least one token id');
    const tokenizer = await loadTokenizer('detokenize', values);
    const size = tokenizer.vocabularySize;
    const ids = positionals.flatMap((text) => text.split(/[\s,]+/).filter(Boolean)).map((text) => {
      // Decimal digits only: Number() would read "0x10" as 16 and "1e1" as 10.
      const id = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(id) || id < 0 || id >= size) throw new UsageError(`detokenize: IDS expected integers in [0, ${size - 1}], received ${JSON.stringify(text)}`);
      return id;
    });
    io.stdout.write(`${tokenizer.decode(ids)}\n`);
    return 0;
  },
};
