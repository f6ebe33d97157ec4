// Real-size quantized Gemma on the wasm backend (issue 13's motivating scenario): builds a
// built-in preset's architecture with seeded random weights (loadWeights: false) or reads a
// preset folder, quantized on load (int8 or int4: each float kernel quantized on the host, never
// on the backend), runs a short prompt and a few greedy decode steps, and prints one JSON line:
// load time, WebAssembly memory, peak RSS, prefill time and decode tokens/s.
//
//   node packages/models/scripts/quant-real-size.mjs --preset gemma_2b_en --mode int8
//   node packages/models/scripts/quant-real-size.mjs --preset /tmp/g2b --mode int4      # a folder
//   node packages/models/scripts/quant-real-size.mjs --runs gemma_2b_en:int8,gemma2_2b_en:int4
//     (each run in its own Node process, so that peak RSS is per run; one JSON line for all)
//
// Options: --threads N (wasm threads, default 2), --prompt-length N (default 8),
// --decode-steps N (default 4), --dtype bfloat16|float32 (variable dtype of the float norms and
// of the float weights before quantizing; default bfloat16), --seed N (default 0),
// --no-quantize (the float model as it is: shows the 4 GiB limit), --old-path (float model built
// first, then quantize(mode): the path this replaced).
// Needs the built packages (npm run build in core, tsc -p tsconfig.build.json in layers, models).
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

function parseArguments(argv) {
  const options = { threads: 2, promptLength: 8, decodeSteps: 4, dtype: 'bfloat16', seed: 0, quantize: true, oldPath: false };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${name} needs a value`);
      return next;
    };
    const integer = () => {
      const text = value();
      if (!/^\d+$/.test(text)) throw new Error(`${name} expected a non-negative integer, received ${JSON.stringify(text)}`);
      return Number(text);
    };
    if (name === '--preset') options.preset = value();
    else if (name === '--mode') options.mode = value();
    else if (name === '--runs') options.runs = value();
    else if (name === '--threads') options.threads = integer();
    else if (name === '--prompt-length') options.promptLength = integer();
    else if (name === '--decode-steps') options.decodeSteps = integer();
    else if (name === '--dtype') options.dtype = value();
    else if (name === '--seed') options.seed = integer();
    else if (name === '--no-quantize') options.quantize = false;
    else if (name === '--old-path') options.oldPath = true;
    else throw new Error(`unknown option ${JSON.stringify(name)}`);
  }
  return options;
}

function machine() {
  const cores = cpus();
  return { cpu: cores[0]?.model ?? 'unknown', cores: cores.length, totalMemoryBytes: totalmem(), platform: process.platform, arch: process.arch };
}

/** Several runs, each in a child process; one JSON line with all of them. */
function runAll(options) {
  const script = fileURLToPath(import.meta.url);
  const results = [];
  for (const run of options.runs.split(',')) {
    const [preset, mode] = run.split(':');
    const args = [...process.execArgv, script, '--preset', preset, '--threads', String(options.threads), '--prompt-length', String(options.promptLength),
      '--decode-steps', String(options.decodeSteps), '--dtype', options.dtype, '--seed', String(options.seed)];
    if (mode === 'none') args.push('--no-quantize');
    else args.push('--mode', mode);
    if (options.oldPath) args.push('--old-path');
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const line = child.stdout.trim().split('\n').pop();
    try {
      results.push(JSON.parse(line));
    } catch {
      results.push({ preset, mode, error: `exit ${child.status}: ${(child.stderr || child.stdout).trim().split('\n').slice(-3).join(' | ')}` });
    }
    process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
  }
  process.stdout.write(`${JSON.stringify({ machine: machine(), node: process.version, runs: results })}\n`);
}

async function runOne(options) {
  const tz = await import('@tensorzoo/core');
  const wasm = await import('@tensorzoo/core/backends/wasm');
  const { GemmaBackbone } = await import('@tensorzoo/models');
  await tz.setBackend('wasm');
  await wasm.setWasmThreads(options.threads);
  const backend = tz.engine.findBackend('wasm');
  const wasmMemory = () => ({ allocatedBytes: backend.allocator.stats().allocatedBytes, memoryBytes: backend.memory.buffer.byteLength });
  const isFolder = options.preset.includes('/');
  const mode = options.quantize ? options.mode : null;
  const result = {
    preset: options.preset,
    source: isFolder ? 'preset folder (weights read from disk)' : 'built-in architecture, seeded random weights (loadWeights: false)',
    mode: mode ?? 'none (float)',
    path: !mode ? 'float model (no quantize)' : options.oldPath ? 'float model, then quantize(mode)' : 'quantize on load (host)',
    dtype: options.dtype,
    threads: options.threads,
    node: process.version,
    flags: process.execArgv,
    loadAverageBefore: loadavg(),
    machine: machine(),
  };
  const started = performance.now();
  try {
    // Progress on stderr (stdout carries the one JSON line).
    const onProgress = (event) => process.stderr.write(`${event.label}: ${event.loaded}/${event.total}${event.unit === 'bytes' ? ' bytes' : ''} after ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const loadOptions = { dtype: options.dtype, seed: options.seed, onProgress, ...(isFolder ? {} : { loadWeights: false }) };
    let backbone;
    if (mode && !options.oldPath) backbone = await GemmaBackbone.fromPreset(options.preset, { ...loadOptions, quantize: mode });
    else {
      backbone = await GemmaBackbone.fromPreset(options.preset, loadOptions);
      if (mode) backbone.quantize(mode);
    }
    result.loadSeconds = (performance.now() - started) / 1000;
    result.storedElements = backbone.weights.reduce((total, variable) => total + variable.size, 0);
    result.weightBytes = backbone.weights.reduce((total, variable) => total + variable.size * ({ int8: 1, bfloat16: 2, float16: 2 }[variable.dtype] ?? 4), 0);
    result.wasmAfterLoad = wasmMemory();
    // A short prompt (fixed ids), then greedy decoding with the KV cache.
    const vocabulary = backbone.config.vocabularySize;
    const prompt = Array.from({ length: options.promptLength }, (_, index) => (2 + index * 7919) % vocabulary);
    let cache = backbone.emptyCache(1, options.promptLength + options.decodeSteps);
    const step = (ids, index) => {
      const { hiddenStates, cache: next } = backbone.callWithCache([ids], cache, index);
      for (const tensor of cache) tensor.dispose();
      cache = next;
      const id = tz.tidy(() => {
        const last = tz.slice(hiddenStates, [0, ids.length - 1, 0], [1, 1, -1]);
        const logits = tz.reshape(backbone.logits(last), [-1]);
        if (!(logits.dataSync()).every(Number.isFinite)) result.nonFiniteLogits = true;
        return tz.argmax(logits).dataSync()[0];
      });
      hiddenStates.dispose();
      return id;
    };
    let forwardStart = performance.now();
    const generated = [step(prompt, 0)];
    result.prefillSeconds = (performance.now() - forwardStart) / 1000;
    result.promptTokens = prompt.length;
    forwardStart = performance.now();
    for (let index = 0; index < options.decodeSteps - 1; index++) generated.push(step([generated.at(-1)], prompt.length + index));
    const decodeSeconds = (performance.now() - forwardStart) / 1000;
    result.decodeTokens = options.decodeSteps - 1;
    result.decodeTokensPerSecond = result.decodeTokens > 0 ? result.decodeTokens / decodeSeconds : null;
    result.generatedIds = generated;
    result.finiteLogits = result.nonFiniteLogits !== true;
    result.wasmPeak = wasmMemory();
    for (const tensor of cache) tensor.dispose();
    backbone.dispose();
  } catch (error) {
    result.error = String(error?.message ?? error).split('\n')[0];
    result.secondsUntilError = (performance.now() - started) / 1000;
    try {
      result.wasmAtError = wasmMemory();
    } catch {}
  }
  result.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  result.loadAverageAfter = loadavg();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0); // the wasm thread pool's workers would keep the process alive
}

const options = parseArguments(process.argv.slice(2));
if (options.runs) runAll(options);
else if (!options.preset || (options.quantize && !['int8', 'int4'].includes(options.mode))) {
  process.stderr.write('usage: quant-real-size.mjs --preset NAME|FOLDER --mode int8|int4 [--threads N] [--no-quantize] | --runs NAME:MODE,...\n');
  process.exit(2);
} else await runOne(options);
