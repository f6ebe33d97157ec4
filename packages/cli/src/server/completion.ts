// One completion on the shared continuous-batching engine: the prompt ids (Gemma's chat template
// for chat), the sampler, the stop tokens and strings, and the text streamed as it settles.
// `tensorzoo serve` and `tensorzoo chat` both run their answers through here.
import {
  ContinuousBatchingEngine, endOfTurn, gemmaChatPrompt, IncrementalDetokenizer, StopStringMatcher, type ChatMessage, type FinishReason, type GemmaCausalLM,
  type GemmaTokenizer, type SamplerSpec,
} from '@tensorzoo/models';
import { HttpError } from './http.js';
import type { SamplingParameters } from './requests.js';

export interface ServedModel {
  /** The id clients pass as `model`. */
  id: string;
  lm: GemmaCausalLM;
  engine: ContinuousBatchingEngine;
  /** Unix seconds, for /v1/models. */
  created: number;
}

export interface PreparedCompletion {
  promptIds: number[];
  maxTokens: number;
  sampler: SamplerSpec;
  stopTokenIds: number[];
  stopStrings: string[];
}

export interface CompletionOutcome {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
}

export interface RunningCompletion {
  cancel(): void;
  done: Promise<CompletionOutcome>;
}

/** OpenAI's default when max_tokens is absent: 16 for completions; the rest of the context for chat. */
export const defaultCompletionTokens = 16;

function tokenizerOf(model: ServedModel): GemmaTokenizer {
  return model.lm.preprocessor!.tokenizer as GemmaTokenizer;
}

/** Prompt ids (<bos> first) for a chat or a plain prompt; 400 when they do not fit the context. */
export function prepareCompletion(model: ServedModel, input: { messages: ChatMessage[] } | { prompt: string }, parameters: SamplingParameters): PreparedCompletion {
  const tokenizer = tokenizerOf(model);
  const chat = 'messages' in input;
  let text: string;
  try {
    text = chat ? gemmaChatPrompt(input.messages) : input.prompt;
  } catch (error) {
    const message = (error as Error).message;
    const param = /argument '([^']+)'/.exec(message)?.[1] ?? 'messages';
    throw new HttpError(400, message.replace(/^gemmaChatPrompt: /, ''), 'invalid_request_error', param, 'invalid_value');
  }
  const promptIds = [tokenizer.startTokenId, ...(tokenizer.tokenize(text) as number[])];
  const context = model.engine.contextLength;
  const field = chat ? 'messages' : 'prompt';
  if (promptIds.length >= context)
    throw new HttpError(400, `This model's maximum context length is ${context} tokens. However, your ${field} resulted in ${promptIds.length} tokens (<bos> included), leaving no room for a completion. Please reduce the length of the ${field}.`, 'invalid_request_error', field, 'context_length_exceeded');
  const maxTokens = parameters.maxTokens ?? (chat ? context - promptIds.length : Math.min(defaultCompletionTokens, context - promptIds.length));
  if (promptIds.length + maxTokens > context)
    throw new HttpError(400, `This model's maximum context length is ${context} tokens. However, you requested ${promptIds.length + maxTokens} tokens (${promptIds.length} in the ${field}, ${maxTokens} in the completion). Please reduce the length of the ${field} or completion.`, 'invalid_request_error', 'max_tokens', 'context_length_exceeded');
  const stopTokenIds = [tokenizer.endTokenId];
  const stopStrings = [...parameters.stop];
  if (chat) {
    // The model ends its turn with <end_of_turn>: a token where the vocabulary has it, else text.
    if (tokenizer.endOfTurnTokenId !== null) stopTokenIds.push(tokenizer.endOfTurnTokenId);
    else stopStrings.push(endOfTurn);
  }
  return { promptIds, maxTokens, sampler: samplerFor(parameters), stopTokenIds, stopStrings };
}

/** temperature 0 is greedy; otherwise top_p (with top_k as its cap), top_k, or the whole distribution. */
export function samplerFor(parameters: Pick<SamplingParameters, 'temperature' | 'topP' | 'topK' | 'seed'>): SamplerSpec {
  const temperature = parameters.temperature ?? 1;
  if (temperature === 0) return 'greedy';
  const seed = parameters.seed ?? undefined;
  if (parameters.topP !== null && parameters.topP < 1) return { name: 'top_p', p: parameters.topP, k: parameters.topK, temperature, seed };
  if (parameters.topK !== null) return { name: 'top_k', k: parameters.topK, temperature, seed };
  return { name: 'random', temperature, seed };
}

/** Submits to the engine (throws QueueFullError when it is full); `onText` gets each settled piece. */
export function runCompletion(model: ServedModel, prepared: PreparedCompletion, onText: (text: string) => void): RunningCompletion {
  const tokenizer = tokenizerOf(model);
  const detokenizer = new IncrementalDetokenizer(tokenizer, prepared.promptIds[prepared.promptIds.length - 1]);
  const matcher = new StopStringMatcher(prepared.stopStrings);
  let text = '';
  const emit = (piece: string) => {
    if (!piece) return;
    text += piece;
    onText(piece);
  };
  const handle = model.engine.submit({
    promptIds: prepared.promptIds,
    maxNewTokens: prepared.maxTokens,
    sampler: prepared.sampler,
    stopTokenIds: prepared.stopTokenIds,
    onToken: ({ tokenId, isStopToken }) => {
      if (isStopToken) return;
      const piece = detokenizer.push(tokenId);
      if (!piece) return;
      const released = matcher.push(piece);
      emit(released.text);
      if (released.stopped) return 'stop';
    },
  });
  const done = handle.done.then((result) => {
    if (result.finishReason !== 'cancelled' && !matcher.isStopped) {
      const rest = matcher.push(detokenizer.flush());
      emit(rest.text);
      emit(matcher.flush());
      if (rest.stopped) result.finishReason = 'stop';
    }
    return { text, finishReason: result.finishReason, promptTokens: result.promptTokens, completionTokens: result.completionTokens };
  });
  return { cancel: () => handle.cancel(), done };
}
