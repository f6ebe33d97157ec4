// The server's text streaming: the incremental detokenizer (pieces add up to generate's text, no
// half characters from byte-fallback pieces) and stop strings split across pieces.
import { beforeAll, describe, expect, test } from 'vitest';
import { GemmaTokenizer, IncrementalDetokenizer, StopStringMatcher, gemmaChatPrompt } from '@tensorzoo/models';

let tokenizer: GemmaTokenizer;

beforeAll(async () => {
  tokenizer = await GemmaTokenizer.fromPreset(new URL('../../../models/tinycode-gemma2-6m', import.meta.url).pathname);
});

describe('IncrementalDetokenizer', () => {
  test.each([
    ['def add(a, b):', '\n    return a + b  # 日本語 ✓ naïve café\n'],
    ['x =', ' "🙂🙂"\nprint(x)'],
    ['', 'import os'],
  ])('streams %j + %j as generate prints it', (prompt, continuation) => {
    const promptIds = [tokenizer.startTokenId, ...(tokenizer.tokenize(prompt) as number[])];
    const generated = tokenizer.tokenize(prompt + continuation).slice(promptIds.length - 1) as number[];
    // Byte-fallback pieces are in there (multi-byte characters the vocabulary lacks).
    if (/[^\x00-\x7f]/.test(continuation)) expect(generated.some((id) => /^<0x[0-9A-F]{2}>$/.test(tokenizer.idToToken(id)))).toBe(true);
    const detokenizer = new IncrementalDetokenizer(tokenizer, promptIds[promptIds.length - 1]);
    const pieces = generated.map((id) => detokenizer.push(id));
    pieces.push(detokenizer.flush());
    for (const piece of pieces) expect(piece).not.toContain('\uFFFD');
    const expected = (tokenizer.detokenize([...promptIds, ...generated]) as string).slice((tokenizer.detokenize(promptIds) as string).length);
    expect(pieces.join('')).toBe(expected);
    expect(detokenizer.text).toBe(expected);
  });
});

describe('StopStringMatcher', () => {
  test('holds back a possible start of a stop string and cuts at the first match, across pieces', () => {
    const matcher = new StopStringMatcher(['\n\n', 'END']);
    expect(matcher.push('abc\n')).toEqual({ text: 'abc', stopped: false });
    expect(matcher.push('x E')).toEqual({ text: '\nx ', stopped: false });
    expect(matcher.push('N')).toEqual({ text: '', stopped: false });
    expect(matcher.push('Dtail')).toEqual({ text: '', stopped: true });
    expect(matcher.push('more')).toEqual({ text: '', stopped: true });
    expect(matcher.flush()).toBe('');
  });

  test('the earliest of several matches wins; held text is released at the end', () => {
    const matcher = new StopStringMatcher(['cd', 'b']);
    expect(matcher.push('abcd')).toEqual({ text: 'a', stopped: true });
    const open = new StopStringMatcher(['STOP']);
    expect(open.push('aSTO')).toEqual({ text: 'a', stopped: false });
    expect(open.flush()).toBe('STO');
    expect(new StopStringMatcher([]).push('anything')).toEqual({ text: 'anything', stopped: false });
  });
});

describe('gemmaChatPrompt', () => {
  test('turns, roles and errors', () => {
    expect(gemmaChatPrompt([{ role: 'user', content: ' hi ' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'more' }])).toBe(
      '<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\nhello<end_of_turn>\n<start_of_turn>user\nmore<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(() => gemmaChatPrompt([{ role: 'system', content: 's' }, { role: 'assistant', content: 'a' }])).toThrow(/messages\[1\]\.role.*'user'.*"assistant"/);
    expect(() => gemmaChatPrompt([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }])).toThrow(/messages\[1\]\.role.*'assistant'/);
    expect(() => gemmaChatPrompt([])).toThrow(/messages/);
  });
});

describe('prepareCompletion', () => {
  test('<end_of_turn> stops chat as a token where the vocabulary has it, else as a stop string', async () => {
    const { prepareCompletion } = await import('../src/server/completion.js');
    const parameters = { maxTokens: 8, temperature: 0, topP: null, topK: null, seed: null, stop: ['###'], stream: false, includeUsage: false };
    const served = (tokens: GemmaTokenizer) => ({ id: 'm', created: 0, engine: { contextLength: 64 }, lm: { preprocessor: { tokenizer: tokens } } }) as never;
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const withPieces = prepareCompletion(served(tokenizer), { messages }, parameters);
    expect(withPieces.stopTokenIds).toEqual([tokenizer.endTokenId, tokenizer.endOfTurnTokenId]);
    expect(withPieces.stopStrings).toEqual(['###']);
    expect(withPieces.promptIds.slice(0, 2)).toEqual([tokenizer.startTokenId, tokenizer.startOfTurnTokenId]);
    const without = Object.create(tokenizer, { endOfTurnTokenId: { value: null } }) as GemmaTokenizer;
    const fallback = prepareCompletion(served(without), { messages }, parameters);
    expect(fallback.stopTokenIds).toEqual([tokenizer.endTokenId]);
    expect(fallback.stopStrings).toEqual(['###', '<end_of_turn>']);
    // Plain completions stop at <eos> only; max_tokens past the context is refused with the numbers.
    expect(prepareCompletion(served(tokenizer), { prompt: 'x' }, parameters).stopTokenIds).toEqual([tokenizer.endTokenId]);
    expect(() => prepareCompletion(served(tokenizer), { prompt: 'x' }, { ...parameters, maxTokens: 63 })).toThrow(/maximum context length is 64 tokens.*65 tokens \(2 in the prompt, 63 in the completion\)/);
  });
});
