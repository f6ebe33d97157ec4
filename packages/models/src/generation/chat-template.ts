// Gemma's chat format (the chat template Google ships with Gemma's tokenizer; Gemma 3's version,
// which folds a system message into the first user turn):
//   <bos><start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n{answer}<end_of_turn>\n…<start_of_turn>model\n
// Contents are trimmed, roles alternate user/model starting with the user (`assistant` is written
// `model`), and the prompt ends with the model's open turn. A model answers until <end_of_turn>
// (or <eos>). The markers are single pieces of Gemma's vocabulary (and of the embedded demo
// model's); a vocabulary without them tokenizes them as plain text, and the end marker then stops
// generation as a stop string (the server does that).
import { argumentError } from '@tensorzoo/core';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export const startOfTurn = '<start_of_turn>';
export const endOfTurn = '<end_of_turn>';

/** The template's text after <bos> (the preprocessor adds <bos> as a token). */
export function gemmaChatPrompt(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
  if (!Array.isArray(messages) || messages.length === 0) argumentError('gemmaChatPrompt', 'messages', 'a non-empty array of {role, content}', String(messages));
  let firstUserPrefix = '';
  let turns = messages;
  if (messages[0]!.role === 'system') {
    firstUserPrefix = `${messages[0]!.content}\n\n`;
    turns = messages.slice(1);
  }
  let text = '';
  turns.forEach((message, index) => {
    const expected = index % 2 === 0 ? 'user' : 'assistant';
    if (message.role !== expected)
      argumentError('gemmaChatPrompt', `messages[${index + (turns === messages ? 0 : 1)}].role`, `'${expected}' (roles alternate user/assistant after an optional first system message)`, JSON.stringify(message.role));
    const role = message.role === 'assistant' ? 'model' : message.role;
    text += `${startOfTurn}${role}\n${index === 0 ? firstUserPrefix : ''}${message.content.trim()}${endOfTurn}\n`;
  });
  if (addGenerationPrompt) text += `${startOfTurn}model\n`;
  return text;
}
