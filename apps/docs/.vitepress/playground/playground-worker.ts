// The playground's Web Worker: loads the demo model with GemmaCausalLM.fromPreset on the site's
// URL (fetched, cached in the Cache API, read from memory) and generates, posting every token as
// it comes. All model work happens here, so the page's main thread stays free; the wasm backend
// runs its threads from here too (a worker may block in Atomics.wait; a page's main thread may not).
import * as tz from '@tensorzoo/core';
import { setWasmThreads, wasmBackendInfo } from '@tensorzoo/core/backends/wasm';
import { GemmaCausalLM, IncrementalDetokenizer, type LoadProgress, type SamplerSpec } from '@tensorzoo/models';
import type { FromWorker, ToWorker } from './protocol.js';

let model: GemmaCausalLM | null = null;
let stopFlag: Int32Array | null = null;

const post = (message: FromWorker) => (self as unknown as Worker).postMessage(message);

class Stopped extends Error {}

async function load(message: Extract<ToWorker, { type: 'load' }>): Promise<void> {
  const started = performance.now();
  stopFlag = message.stopFlag;
  let variant = '';
  let threads = 1;
  if (message.backend === 'gpujs') {
    const gpujs = await import('@tensorzoo/core/backends/gpujs');
    gpujs.setGpujsMode('webgl2');
    await tz.setBackend('gpujs');
    variant = `gpujs ${gpujs.gpujsMode()}`;
  } else {
    await setWasmThreads(message.threads);
    await tz.setBackend('wasm');
    const info = await wasmBackendInfo();
    variant = info.variant ?? 'wasm';
    threads = info.threads;
  }
  const fromCache: string[] = [];
  const downloaded = new Set<string>();
  model = await GemmaCausalLM.fromPreset(message.presetUrl, {
    onProgress: (event: LoadProgress & { cached?: boolean }) => {
      if (event.unit !== 'bytes') return;
      if (event.cached) fromCache.push(event.label);
      else downloaded.add(event.label);
      post({ type: 'progress', file: event.label, loaded: event.loaded, total: event.total, cached: event.cached === true });
    },
  });
  post({
    type: 'ready',
    backend: message.backend,
    variant,
    threads,
    fromCache,
    downloaded: [...downloaded],
    loadSeconds: (performance.now() - started) / 1000,
    sequenceLength: model.preprocessor!.sequenceLength,
  });
}

function generate(message: Extract<ToWorker, { type: 'generate' }>): void {
  if (!model) throw new Error('the model is not loaded yet');
  const tokenizer = model.preprocessor!.tokenizer;
  const promptIds = tokenizer.tokenize(message.prompt) as number[];
  // <bos> + the prompt must leave room for at least one new token. KerasHub would silently cut
  // the prompt to fit; here the visitor is told.
  const promptLength = promptIds.length + 1;
  if (promptLength >= message.maxLength) {
    post({
      type: 'error',
      id: message.id,
      kind: 'prompt-too-long',
      message: `The prompt is ${promptLength} tokens (with <bos>) and max length is ${message.maxLength}: nothing is left to generate. Shorten the prompt or raise max length.`,
    });
    return;
  }
  const sampler: SamplerSpec = message.sampler === 'greedy' ? 'greedy' : { name: message.sampler, temperature: message.temperature };
  const detokenizer = new IncrementalDetokenizer(tokenizer, promptIds.at(-1) ?? tokenizer.startTokenId);
  const endId = tokenizer.endTokenId;
  if (stopFlag) Atomics.store(stopFlag, 0, 0);
  let tokens = 0;
  let stopped = false;
  const started = performance.now();
  let result = '';
  try {
    result = model.generate(message.prompt, {
      maxLength: message.maxLength,
      sampler,
      stopTokenIds: message.stopAtEnd ? 'auto' : null,
      onToken: (token) => {
        tokens++;
        if (token.tokenId !== endId) {
          const text = detokenizer.push(token.tokenId);
          post({ type: 'token', id: message.id, text, tokenId: token.tokenId });
        }
        if (stopFlag && Atomics.load(stopFlag, 0) === 1) throw new Stopped();
      },
    });
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
    stopped = true;
    result = message.prompt + detokenizer.text;
  }
  const rest = detokenizer.flush();
  if (rest) post({ type: 'token', id: message.id, text: rest, tokenId: -1 });
  post({ type: 'done', id: message.id, result, tokens, seconds: (performance.now() - started) / 1000, stopped });
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    if (message.type === 'load') await load(message);
    else generate(message);
  } catch (error) {
    post({
      type: 'error',
      id: message.type === 'generate' ? message.id : null,
      kind: message.type === 'load' ? 'load' : 'generate',
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
