// tensorzoo serve: an OpenAI-compatible HTTP server with continuous batching (src/server/).
import { backendNames, selectBackend } from '../backend-choice.js';
import { ProgressBar } from '../progress.js';
import { loadServedModel } from '../server/model.js';
import { startServer } from '../server/server.js';
import { choiceOption, integerOption, UsageError, type CommandSpec } from '../usage.js';

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary:
    'Serve a Gemma causal LM over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /health) with continuous batching. Binds 127.0.0.1 unless --host says otherwise; stops on Ctrl-C.',
  usage:
    'tensorzoo serve [--preset P] [--host H] [--port N] [--api-key KEY] [--cors ORIGIN] [--model-name ID] [--max-batch N] [--max-queue N] [--prefill-chunk N] [--context-length N] [--backend reference|wasm|gpujs] [--threads N] [--lora FILE] [--quiet]',
  options: {
    preset: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'api-key': { type: 'string' },
    cors: { type: 'string' },
    'model-name': { type: 'string' },
    'max-batch': { type: 'string' },
    'max-queue': { type: 'string' },
    'prefill-chunk': { type: 'string' },
    'context-length': { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    lora: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  optionHelp: [
    ['--preset P', 'built-in name, kaggle://…, hf://… or a local folder (default: embedded tinycode-gemma2-6m)'],
    ['--host H', 'address to bind (default 127.0.0.1, loopback only; 0.0.0.0 exposes the server)'],
    ['--port N', 'TCP port (default 8080; 0 picks a free one)'],
    ['--api-key KEY', 'require "Authorization: Bearer KEY" on /v1/* (or set TENSORZOO_API_KEY)'],
    ['--cors ORIGIN', 'allow browser calls from ORIGIN (* for any); off by default'],
    ['--model-name ID', "the model id clients send (default: the preset's name)"],
    ['--max-batch N', 'sequences decoded together (default 16)'],
    ['--max-queue N', 'requests waiting beyond the batch before 429 (default 64)'],
    ['--prefill-chunk N', 'prompt tokens prefilled between decode steps (default 64)'],
    ['--context-length N', "prompt + completion tokens per request (default: the preset's sequence length)"],
    ['--backend B', 'wasm (default), reference or gpujs'],
    ['--threads N', 'wasm worker threads'],
    ['--lora FILE', 'apply a .lora.h5 file saved by saveLoraWeights/KerasHub'],
    ['--quiet', 'no per-request log lines on stderr'],
  ],
  async run({ values, positionals }, io) {
    if (positionals.length) throw new UsageError(`serve: expected no positional arguments, received ${JSON.stringify(positionals[0])}`);
    const port = integerOption('serve', 'port', values.port, 0) ?? 8080;
    if (port > 65535) throw new UsageError(`serve: --port expected an integer in [0, 65535], received "${port}"`);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    if (host === '') throw new UsageError('serve: --host expected an address, received ""');
    const apiKey = typeof values['api-key'] === 'string' ? values['api-key'] : process.env.TENSORZOO_API_KEY || null;
    if (apiKey === '') throw new UsageError('serve: --api-key expected a non-empty key, received ""');
    const cors = typeof values.cors === 'string' ? values.cors : null;
    if (cors === '') throw new UsageError('serve: --cors expected an origin such as https://example.com or *, received ""');
    const options = {
      preset: values.preset as string | undefined,
      modelName: values['model-name'] as string | undefined,
      lora: values.lora as string | undefined,
      maxBatchSize: integerOption('serve', 'max-batch', values['max-batch'], 1),
      maxQueue: integerOption('serve', 'max-queue', values['max-queue'], 0),
      prefillChunk: integerOption('serve', 'prefill-chunk', values['prefill-chunk'], 1),
      contextLength: integerOption('serve', 'context-length', values['context-length'], 2),
    };
    await selectBackend('serve', choiceOption('serve', 'backend', values.backend, backendNames), integerOption('serve', 'threads', values.threads, 1));
    const progress = new ProgressBar(io.stderr);
    const model = await loadServedModel({ ...options, onProgress: (event) => progress.update(event) });
    const log = values.quiet ? undefined : (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
    const running = await startServer(model, { host, port, apiKey, corsOrigin: cors, log });
    io.stderr.write(`tensorzoo serve: ${model.id} on ${running.url}/v1 (context ${model.engine.contextLength} tokens, batch ${model.engine.maxBatchSize}${apiKey ? ', API key required' : ''})\n`);
    if (!['127.0.0.1', 'localhost', '::1'].includes(host) && !apiKey)
      io.stderr.write('tensorzoo serve: warning: the server is reachable from other machines and has no --api-key\n');
    io.stdout.write(`${running.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    io.stderr.write('tensorzoo serve: stopping\n');
    model.engine.close();
    await running.close();
    return 0;
  },
};
