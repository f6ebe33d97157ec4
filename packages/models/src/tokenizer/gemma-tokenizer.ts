// KerasHub's `GemmaTokenizer` (keras_hub/src/models/gemma/gemma_tokenizer.py on top of
// sentence_piece_tokenizer.py; spec gemma.md §6.1) over our SentencePieceProcessor.
//
// - Special tokens: `<bos>` (start), `<eos>` (end) and `<pad>`. Each must be a piece of the
//   vocabulary, else construction fails like KerasHub's "Cannot find special token" ValueError.
//   `<unk>`, `<start_of_turn>` and `<end_of_turn>` are ordinary pieces for this class; their ids
//   are exposed for convenience (null when the vocabulary lacks them).
// - `tokenize` never adds BOS/EOS (Gemma's `add_bos = add_eos = False`; the preprocessor's packer
//   does that). With `sequenceLength` set, each row is truncated and right-padded with `<pad>`.
// - `detokenize` is SentencePiece decoding: `<bos>`/`<eos>`/`<pad>` (control pieces) produce no
//   text, user-defined pieces such as `<start_of_turn>` produce their text.
// - `tokenToId` answers the `<unk>` id for an unknown piece; `idToToken` rejects ids outside
//   [0, vocabularySize - 1].
// - The proto is given as bytes, as a base64 string (KerasHub accepts one longer than 2048
//   characters), or read from a file / a preset's `assets/tokenizer/vocabulary.spm`.

import { TensorzooError, argumentError } from '@tensorzoo/core';
import { SentencePieceProcessor } from './sentencepiece-processor.js';
import { CheckpointError, describeError } from '../io/errors.js';

export interface GemmaTokenizerOptions {
  /** Truncate/pad every tokenized row to this length (KerasHub `sequence_length`); default none. */
  sequenceLength?: number | null;
  /** Prepend `<bos>` in `tokenize` (KerasHub `add_bos`); Gemma's default is false. */
  addBos?: boolean;
  /** Append `<eos>` in `tokenize` (KerasHub `add_eos`); Gemma's default is false. */
  addEos?: boolean;
  /** Layer name; default "gemma_tokenizer". */
  name?: string;
}

/** The JSON config KerasHub stores in a preset's `tokenizer.json` (`proto` is saved as an asset). */
export interface GemmaTokenizerConfig {
  name: string;
  trainable: boolean;
  /** The serialized Keras `DTypePolicy` (int32), as KerasHub writes it. */
  dtype: { module: 'keras'; class_name: 'DTypePolicy'; config: { name: 'int32' }; registered_name: null };
  config_file: string;
  proto: null;
  sequence_length: number | null;
  add_bos: boolean;
  add_eos: boolean;
}

/** Where a preset keeps the SentencePiece proto (KerasHub asset layout). */
export const GEMMA_VOCABULARY_ASSET = 'assets/tokenizer/vocabulary.spm';

const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function protoBytesFrom(proto: Uint8Array | string): Uint8Array {
  if (proto instanceof Uint8Array) return proto;
  if (typeof proto === 'string') {
    // KerasHub treats a string as base64 when it is longer than 2048 characters and strictly valid.
    if (proto.length > 2048 && strictBase64.test(proto)) {
      const binary = atob(proto);
      const bytes = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
      return bytes;
    }
    return argumentError(
      'GemmaTokenizer',
      'proto',
      'SentencePiece proto bytes or a base64 string of them (to read a file, use GemmaTokenizer.fromFile or fromPreset)',
      `a string of ${proto.length} character(s) that is not base64`,
    );
  }
  return argumentError('GemmaTokenizer', 'proto', 'a Uint8Array or a base64 string', proto === null ? 'null' : typeof proto);
}

export class GemmaTokenizer {
  readonly processor: SentencePieceProcessor;
  /** The serialized SentencePiece model (what a preset stores as assets/tokenizer/vocabulary.spm). */
  readonly protoBytes: Uint8Array;
  readonly startToken = '<bos>';
  readonly endToken = '<eos>';
  readonly padToken = '<pad>';
  readonly startTokenId: number;
  readonly endTokenId: number;
  readonly padTokenId: number;
  /** Id of `<unk>` (the model's UNKNOWN piece). */
  readonly unknownTokenId: number;
  /** Id of `<start_of_turn>`, or null when the vocabulary has no such piece. */
  readonly startOfTurnTokenId: number | null;
  /** Id of `<end_of_turn>`, or null when the vocabulary has no such piece. */
  readonly endOfTurnTokenId: number | null;
  readonly sequenceLength: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly name: string;
  private readonly vocabulary: readonly string[];
  private readonly pieceIds: Map<string, number>;

  constructor(proto: Uint8Array | string, options: GemmaTokenizerOptions = {}) {
    this.protoBytes = protoBytesFrom(proto);
    this.processor = new SentencePieceProcessor(this.protoBytes);
    const sequenceLength = options.sequenceLength ?? null;
    if (sequenceLength !== null && (!Number.isInteger(sequenceLength) || sequenceLength < 0)) {
      argumentError('GemmaTokenizer', 'sequenceLength', 'a non-negative integer or null', sequenceLength);
    }
    this.sequenceLength = sequenceLength;
    this.addBos = options.addBos ?? false;
    this.addEos = options.addEos ?? false;
    this.name = options.name ?? 'gemma_tokenizer';

    const vocabulary: string[] = [];
    const pieceIds = new Map<string, number>();
    for (let id = 0; id < this.processor.vocabularySize; id++) {
      const piece = this.processor.idToPiece(id);
      vocabulary.push(piece);
      if (!pieceIds.has(piece)) pieceIds.set(piece, id);
    }
    this.vocabulary = vocabulary;
    this.pieceIds = pieceIds;

    const missing = [this.startToken, this.endToken, this.padToken].filter((token) => !pieceIds.has(token));
    if (missing.length > 0) {
      throw new TensorzooError(
        `GemmaTokenizer: cannot find special token${missing.length > 1 ? 's' : ''} ${missing.map((token) => `'${token}'`).join(', ')} ` +
          `in the vocabulary; expected a SentencePiece model that contains '<bos>', '<eos>' and '<pad>' ` +
          `(received a model of ${vocabulary.length} pieces without them)`,
      );
    }
    this.startTokenId = this.tokenToId(this.startToken);
    this.endTokenId = this.tokenToId(this.endToken);
    this.padTokenId = this.tokenToId(this.padToken);
    this.unknownTokenId = this.processor.unknownId;
    this.startOfTurnTokenId = pieceIds.get('<start_of_turn>') ?? null;
    this.endOfTurnTokenId = pieceIds.get('<end_of_turn>') ?? null;
  }

  /** Reads a SentencePiece proto file (`vocabulary.spm`, `tokenizer.model`). Node.js only. */
  static async fromFile(path: string, options: GemmaTokenizerOptions = {}): Promise<GemmaTokenizer> {
    const { readFileBytes } = await import('../io/files.js');
    return tokenizerFromFileBytes(await readFileBytes(path, 'SentencePiece tokenizer proto'), path, options);
  }

  /**
   * Loads the tokenizer of a local KerasHub preset folder: `tokenizer.json` (optional; its
   * `sequence_length`, `add_bos`, `add_eos` and `name` are honoured) and
   * `assets/tokenizer/vocabulary.spm`. Node.js only.
   */
  static async fromPreset(presetDirectory: string): Promise<GemmaTokenizer> {
    const { join } = await import('node:path');
    const { fileSize, readFileBytes, parseJson } = await import('../io/files.js');
    const options: GemmaTokenizerOptions = {};
    const configPath = join(presetDirectory, 'tokenizer.json');
    // fileSize: undefined when absent, an error naming the path for a directory or FIFO there.
    const configText =
      (await fileSize(configPath)) === undefined ? null : new TextDecoder().decode(await readFileBytes(configPath, 'tokenizer config (tokenizer.json)'));
    if (configText !== null) {
      const parsed = parseJson(configText, { file: configPath, what: 'tokenizer config' }) as { config?: Record<string, unknown> };
      const config = parsed.config ?? {};
      if (typeof config['sequence_length'] === 'number') options.sequenceLength = config['sequence_length'];
      if (typeof config['add_bos'] === 'boolean') options.addBos = config['add_bos'];
      if (typeof config['add_eos'] === 'boolean') options.addEos = config['add_eos'];
      if (typeof config['name'] === 'string') options.name = config['name'];
    }
    // A Hugging Face folder (no tokenizer.json) keeps its SentencePiece model in tokenizer.model,
    // which is where KerasHub's transformers loader reads it from (spec §3.5).
    const huggingFace = configText === null && (await fileSize(join(presetDirectory, 'tokenizer.model'))) !== undefined;
    const protoPath = join(presetDirectory, huggingFace ? 'tokenizer.model' : GEMMA_VOCABULARY_ASSET);
    const proto = await readFileBytes(protoPath, `Gemma tokenizer vocabulary (${huggingFace ? 'tokenizer.model' : GEMMA_VOCABULARY_ASSET})`);
    return tokenizerFromFileBytes(proto, protoPath, options);
  }

  /** The three special token ids (`<bos>`, `<eos>`, `<pad>`), as KerasHub's `special_token_ids`. */
  get specialTokenIds(): number[] {
    return [this.startTokenId, this.endTokenId, this.padTokenId];
  }

  get specialTokens(): string[] {
    return [this.startToken, this.endToken, this.padToken];
  }

  vocabularySize(): number {
    return this.vocabulary.length;
  }

  getVocabulary(): string[] {
    return [...this.vocabulary];
  }

  /** Id of `token`; the `<unk>` id when the vocabulary does not contain it. */
  tokenToId(token: string): number {
    if (typeof token !== 'string') argumentError('GemmaTokenizer.tokenToId', 'token', 'a string', typeof token);
    return this.processor.pieceToId(token);
  }

  idToToken(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabulary.length) {
      argumentError('GemmaTokenizer.idToToken', 'id', `an integer in [0, ${this.vocabulary.length - 1}]`, id);
    }
    return this.vocabulary[id]!;
  }

  /** Token ids of one string, or of each string of a batch. */
  tokenize(text: string): number[];
  tokenize(texts: readonly string[]): number[][];
  tokenize(input: string | readonly string[]): number[] | number[][] {
    if (typeof input === 'string') return this.tokenizeOne(input);
    if (!Array.isArray(input)) {
      return argumentError('GemmaTokenizer.tokenize', 'input', 'a string or an array of strings', input === null ? 'null' : typeof input);
    }
    return input.map((text, index) => {
      if (typeof text !== 'string') argumentError('GemmaTokenizer.tokenize', `input[${index}]`, 'a string', typeof text);
      return this.tokenizeOne(text);
    });
  }

  private tokenizeOne(text: string): number[] {
    let ids = this.processor.encode(text);
    if (this.addBos) ids.unshift(this.startTokenId);
    if (this.addEos) ids.push(this.endTokenId);
    if (this.sequenceLength !== null) {
      ids = ids.slice(0, this.sequenceLength);
      while (ids.length < this.sequenceLength) ids.push(this.padTokenId);
    }
    return ids;
  }

  /**
   * Text of token ids: one id or a 1-D list gives a string; a 2-D list (a batch) gives a string
   * per row. Ids outside the vocabulary are an error naming the position.
   */
  detokenize(ids: number | ArrayLike<number>): string;
  detokenize(ids: readonly (readonly number[] | ArrayLike<number>)[]): string[];
  detokenize(ids: number | ArrayLike<number> | readonly ArrayLike<number>[]): string | string[] {
    if (typeof ids === 'number') return this.processor.decode([ids]);
    if (ids === null || typeof ids !== 'object' || typeof (ids as ArrayLike<unknown>).length !== 'number') {
      return argumentError('GemmaTokenizer.detokenize', 'ids', 'an id, a list of ids or a list of lists of ids', ids === null ? 'null' : typeof ids);
    }
    const list = ids as ArrayLike<unknown>;
    if (list.length > 0 && typeof list[0] === 'object' && list[0] !== null) {
      return Array.from(list as ArrayLike<ArrayLike<number>>, (row) => this.processor.decode(row));
    }
    return this.processor.decode(list as ArrayLike<number>);
  }

  getConfig(): GemmaTokenizerConfig {
    return {
      name: this.name,
      trainable: true,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'int32' }, registered_name: null },
      config_file: 'tokenizer.json',
      proto: null,
      sequence_length: this.sequenceLength,
      add_bos: this.addBos,
      add_eos: this.addEos,
    };
  }
}

/** A tokenizer from a file's bytes; a corrupt file is one error naming it (issue 19). */
function tokenizerFromFileBytes(proto: Uint8Array, path: string, options: GemmaTokenizerOptions): GemmaTokenizer {
  try {
    return new GemmaTokenizer(proto, options);
  } catch (error) {
    throw new CheckpointError(describeError(error), { file: path }, { cause: error });
  }
}
