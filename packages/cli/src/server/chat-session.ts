// The interactive chat behind `tensorzoo chat`: lines in, streamed answers out, over the same
// Gemma chat template and engine as the server. `/reset` clears the history, `/exit` (or the end
// of input) quits, and interrupt() (Ctrl-C) stops the answer being written, not the program.
import { createInterface, type Interface } from 'node:readline';
import type { ChatMessage } from '@tensorzoo/models';
import { prepareCompletion, runCompletion, type RunningCompletion, type ServedModel } from './completion.js';
import { HttpError } from './http.js';
import type { SamplingParameters } from './requests.js';

export interface ChatSessionOptions {
  system?: string;
  sampling: Pick<SamplingParameters, 'maxTokens' | 'temperature' | 'topP' | 'topK' | 'seed'>;
  /** Show a `> ` prompt (interactive terminals). */
  showPrompt?: boolean;
  /** The input is a terminal: let readline handle keys (Ctrl-C arrives as its SIGINT). */
  terminal?: boolean;
}

export class ChatSession {
  readonly history: ChatMessage[] = [];
  private answer: RunningCompletion | null = null;
  private readonly lines: Interface;
  private queue: Promise<void> = Promise.resolve();
  readonly finished: Promise<void>;

  constructor(
    private readonly model: ServedModel,
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly options: ChatSessionOptions,
  ) {
    this.lines = createInterface({ input, output: options.terminal ? (output as NodeJS.WritableStream) : undefined, terminal: options.terminal ?? false });
    let closed!: () => void;
    const inputClosed = new Promise<void>((resolve) => (closed = resolve));
    this.lines.on('line', (line) => {
      // Lines typed while an answer streams wait for it.
      this.queue = this.queue.then(() => this.onLine(line));
    });
    this.lines.on('SIGINT', () => this.interrupt());
    this.lines.on('close', () => closed());
    this.finished = inputClosed.then(() => this.queue).then(() => this.model.engine.close());
    this.prompt();
  }

  /** Ctrl-C: stops the current answer; at the prompt, says how to quit. */
  interrupt(): void {
    if (this.answer) this.answer.cancel();
    else {
      this.output.write('\n(Ctrl-D or /exit quits)\n');
      this.prompt();
    }
  }

  private prompt(): void {
    if (this.options.showPrompt) this.output.write('> ');
  }

  private async onLine(line: string): Promise<void> {
    const text = line.trim();
    if (text === '/exit' || text === '/quit') {
      this.lines.close();
      return;
    }
    if (text === '/reset') {
      this.history.length = 0;
      this.output.write('(history cleared)\n');
    } else if (text === '/help') this.output.write('/reset clears the history, /exit quits; Ctrl-C stops an answer\n');
    else if (text) await this.reply(text);
    this.prompt();
  }

  private async reply(text: string): Promise<void> {
    const turns: ChatMessage[] = [...this.history, { role: 'user', content: text }];
    const system: ChatMessage[] = this.options.system ? [{ role: 'system', content: this.options.system }] : [];
    let prepared;
    for (;;) {
      try {
        prepared = prepareCompletion(this.model, { messages: [...system, ...turns] }, { ...this.options.sampling, stop: [], stream: true, includeUsage: false });
        break;
      } catch (error) {
        // Too long for the context: forget the oldest exchange and try again.
        if (error instanceof HttpError && error.code === 'context_length_exceeded' && turns.length > 1) turns.splice(0, 2);
        else {
          this.output.write(`(${(error as Error).message})\n`);
          return;
        }
      }
    }
    if (turns.length < this.history.length + 1) this.output.write(`(the oldest ${this.history.length + 1 - turns.length} messages no longer fit the context and were dropped)\n`);
    this.answer = runCompletion(this.model, prepared, (piece) => this.output.write(piece));
    try {
      const outcome = await this.answer.done;
      this.output.write(outcome.finishReason === 'cancelled' ? ' (stopped)\n' : '\n');
      this.history.splice(0, this.history.length, ...turns, { role: 'assistant', content: outcome.text });
    } catch (error) {
      this.output.write(`\n(generation failed: ${(error as Error).message})\n`);
    } finally {
      this.answer = null;
    }
  }
}
