// Suite `model`: the embedded demo model (tinycode-gemma2-6m, Gemma 2, 6.2 M parameters) on the
// wasm backend against ONNX Runtime running the same forward pass exported by PyTorch
// (benchmarks/models/tinycode-gemma2-6m.forward.onnx.gz, float32 weights, input_ids int64
// [batch, seq] → logits [batch, seq, 2048]), on the same token ids:
//   prefill-128  logits of a 128-token sequence, read back (tokens/s), all implementations;
//   prefill-512, prefill-2048  the same at longer sequences (attention's share grows);
//   decode-128   128 greedy new tokens after a 16-token prompt with the key/value cache
//                (tokens/s, prefill of the prompt included, at least 10 samples); the ONNX export
//                has no cache, so only tensorzoo runs it;
//   decode-at-2048  16 greedy tokens after a 2032-token prompt: tokens/s from the first generated
//                token to the last (the prompt's prefill is not counted), where attention dominates;
// Before timing, ort-web's logits for the 128-token prefill are compared with ours (the two must
// compute the same thing for the ratio to mean anything).
//   tokenize     SentencePiece encoding of ~200 kB of Python text (MB/s), tensorzoo's TypeScript
//                tokenizer against the SentencePiece C++ library compiled to wasm.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tz from '@tensorzoo/core';
import { setWasmParallelThreshold } from '@tensorzoo/core/backends/wasm';
import { GemmaCausalLM } from '@tensorzoo/models';
import { measure, type CaseResult, type Contender } from '../harness.js';
import { prepareTensorzoo } from '../peers/tensorzoo.js';
import type { Suite, SuiteOptions } from '../suite.js';

const onnxPath = new URL('../../models/tinycode-gemma2-6m.forward.onnx.gz', import.meta.url);
const parallelThreshold = 1 << 15;

/** Deterministic ids from the demo model's vocabulary (no special tokens). */
function tokenIds(length: number, seed: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 4 + (state % 2000);
  });
}

async function tensorzooPrefill(model: GemmaCausalLM, threads: number, ids: number[]): Promise<Contender> {
  const activate = async () => {
    await tz.setBackend('wasm');
    setWasmParallelThreshold(threads > 1 ? parallelThreshold : Infinity);
  };
  const input = tz.keep(tz.tensor([ids], undefined, 'int32'));
  return {
    impl: 'tensorzoo-wasm',
    threads,
    activate,
    run() {
      const logits = model.call({ tokenIds: input });
      logits.dataSync();
      logits.dispose();
    },
  };
}

/** Largest |difference| between our logits and ort-web's for `ids`; throws above `tolerance`. */
async function checkOrtAgrees(model: GemmaCausalLM, threads: number, ids: number[], tolerance: number): Promise<number> {
  await tz.setBackend('wasm');
  const input = tz.tensor([ids], undefined, 'int32');
  const logits = model.call({ tokenIds: input });
  const ours = logits.dataSync() as Float32Array;
  tz.dispose([input, logits]);
  const ort: Ort = await import('onnxruntime-web');
  if (webThreads === null) ort.env.wasm.numThreads = webThreads = threads;
  const session = await ort.InferenceSession.create(gunzipSync(readFileSync(onnxPath)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const outputs = await session.run({ [session.inputNames[0]!]: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
  const theirs = outputs[session.outputNames[0]!]!.data as Float32Array;
  if (theirs.length !== ours.length) throw new Error(`prefill: ort-web returned ${theirs.length} logits, tensorzoo ${ours.length}`);
  let worst = 0;
  for (let index = 0; index < ours.length; index++) worst = Math.max(worst, Math.abs(ours[index]! - theirs[index]!));
  if (!(worst <= tolerance)) throw new Error(`prefill: ort-web's logits differ from tensorzoo's by up to ${worst} (tolerance ${tolerance}); not timing a different computation`);
  return worst;
}

/** 16 greedy tokens after a long prompt: tokens/s from the first generated token to the last. */
function decodeAtContext(model: GemmaCausalLM, threads: number, context: number, newTokens: number, samples: number, group: string): CaseResult[] {
  setWasmParallelThreshold(threads > 1 ? parallelThreshold : Infinity);
  const promptLength = context - newTokens;
  const packed = {
    tokenIds: [[2, ...tokenIds(promptLength - 1, 17), ...new Array<number>(newTokens).fill(0)]],
    paddingMask: [[...new Array<number>(promptLength).fill(1), ...new Array<number>(newTokens).fill(0)]],
  };
  const rates: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    let first = 0;
    let last = 0;
    let seen = 0;
    model.generate(packed, {
      stopTokenIds: null,
      maxLength: context,
      onToken: () => {
        last = performance.now();
        if (seen++ === 0) first = last;
      },
    });
    if (seen !== newTokens) throw new Error(`decode-at-${context}: ${seen} tokens generated, expected ${newTokens}`);
    rates.push(((newTokens - 1) * 1000) / (last - first));
  }
  rates.sort((a, b) => a - b);
  const median = rates.length % 2 ? rates[(rates.length - 1) / 2]! : (rates[rates.length / 2 - 1]! + rates[rates.length / 2]!) / 2;
  return [{ suite: 'model', name: `decode-at-${context}`, impl: 'tensorzoo-wasm', threads, metric: 'tokens/s', unit: 'tokens/s', median, min: rates[0]!, max: rates[rates.length - 1]!, samples: rates.length, group }];
}

async function tensorzooDecode(model: GemmaCausalLM, threads: number, prompt: number[], newTokens: number): Promise<Contender> {
  const activate = async () => {
    await tz.setBackend('wasm');
    setWasmParallelThreshold(threads > 1 ? parallelThreshold : Infinity);
  };
  const length = prompt.length + newTokens;
  const packed = {
    tokenIds: [[2, ...prompt.slice(1), ...new Array<number>(newTokens).fill(0)]],
    paddingMask: [[...prompt.map(() => 1), ...new Array<number>(newTokens).fill(0)]],
  };
  if (packed.tokenIds[0]!.length !== length) throw new Error('decode: bad packing');
  return {
    impl: 'tensorzoo-wasm',
    threads,
    activate,
    run() {
      model.generate(packed, { stopTokenIds: null });
    },
  };
}

type Ort = typeof import('onnxruntime-web');
let webThreads: number | null = null;

async function ortPrefill(impl: 'ort-web' | 'ort-node', threads: number, ids: number[]): Promise<Contender> {
  const bytes = gunzipSync(readFileSync(onnxPath));
  const data = BigInt64Array.from(ids.map(BigInt));
  let session: import('onnxruntime-common').InferenceSession;
  let input: import('onnxruntime-common').Tensor;
  if (impl === 'ort-web') {
    const ort: Ort = await import('onnxruntime-web');
    if (webThreads === null) ort.env.wasm.numThreads = webThreads = threads;
    else if (webThreads !== threads) throw new Error(`ort-web already started with ${webThreads} threads in this process`);
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    input = new ort.Tensor('int64', data, [1, ids.length]);
  } else {
    const ort = await import('onnxruntime-node');
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
    input = new ort.Tensor('int64', data, [1, ids.length]);
  }
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  return {
    impl,
    threads,
    async run() {
      const outputs = await session.run({ [inputName]: input });
      void outputs[outputName]!.data;
    },
  };
}

async function tokenizerContenders(model: GemmaCausalLM): Promise<{ contenders: Contender[]; bytes: number }> {
  const tokenizer = model.preprocessor!.tokenizer;
  const { SentencePieceProcessor } = await import('@sctg/sentencepiece-js');
  const library = new SentencePieceProcessor();
  const vocabulary = readFileSync(new URL('../../../models/tinycode-gemma2-6m/assets/tokenizer/vocabulary.spm', import.meta.url));
  await library.loadFromB64StringModel(vocabulary.toString('base64'));
  const reference = JSON.parse(readFileSync(new URL('../../../packages/models/test/fixtures/tinycode-gemma2-6m.reference.json', import.meta.url), 'utf8'));
  const sample = tokenizer.detokenize(reference.held_out_first512.token_ids) as string;
  const text = sample.repeat(Math.ceil(200_000 / sample.length));
  const bytes = Buffer.byteLength(text, 'utf8');
  const ours = tokenizer.tokenize(text) as number[];
  const theirs = library.encodeIds(text);
  if (ours.length !== theirs.length || ours.some((id, index) => id !== theirs[index])) throw new Error('tokenize: tensorzoo and the SentencePiece library disagree on the benchmark text');
  return {
    bytes,
    contenders: [
      { impl: 'tensorzoo-tokenizer', threads: 1, run: () => void tokenizer.tokenize(text) },
      { impl: 'sentencepiece-wasm', threads: 1, run: () => void library.encodeIds(text) },
    ],
  };
}

const suite: Suite = {
  name: 'model',
  description: 'tinycode-gemma2-6m: prefill 128/512/2048 tokens and cached decode of 128 tokens, decode at context 2048 (tokens/s) vs ONNX Runtime; tokenizer MB/s vs the SentencePiece library',
  groups: ['threads-1', 'threads-2'],

  async run(group: string, options: SuiteOptions): Promise<CaseResult[]> {
    const threads = group === 'threads-2' ? 2 : 1;
    const wanted = (impl: string) => options.impls.length === 0 || options.impls.includes(impl);
    await prepareTensorzoo(threads);
    const model = await GemmaCausalLM.fromPreset();
    const results: CaseResult[] = [];
    const rounds = options.rounds || (options.quick ? 3 : 7);
    const tokensPerSecond = (count: number) => (ms: number) => ({ 'tokens/s': { value: (count * 1000) / ms, unit: 'tokens/s' } });
    const prefillLengths = options.quick ? [32] : [128, 512, 2048];
    for (const prefillLength of prefillLengths) {
      const ids = [2, ...tokenIds(prefillLength - 1, 11)];
      if (prefillLength === prefillLengths[0] && wanted('tensorzoo-wasm') && wanted('ort-web')) {
        const worst = await checkOrtAgrees(model, threads, ids, 1e-2);
        process.stderr.write(`bench: prefill-${prefillLength}: ort-web logits within ${worst.toExponential(2)} of tensorzoo's\n`);
      }
      const prefill: Contender[] = [];
      if (wanted('tensorzoo-wasm')) prefill.push(await tensorzooPrefill(model, threads, ids));
      if (wanted('ort-web')) prefill.push(await ortPrefill('ort-web', threads, ids));
      if (wanted('ort-node')) prefill.push(await ortPrefill('ort-node', threads, ids));
      // Long sequences take seconds per sample on a loaded 2-core host: fewer rounds there.
      const prefillRounds = prefillLength >= 2048 ? Math.min(rounds, 3) : prefillLength >= 512 ? Math.min(rounds, 5) : rounds;
      results.push(...(await measure('model', `prefill-${prefillLength}`, group, prefill, tokensPerSecond(prefillLength), { ...options, rounds: prefillRounds })));
    }
    if (wanted('tensorzoo-wasm')) {
      const newTokens = options.quick ? 16 : 128;
      const decode = await tensorzooDecode(model, threads, [2, ...tokenIds(15, 5)], newTokens);
      results.push(...(await measure('model', `decode-${newTokens}`, group, [decode], tokensPerSecond(newTokens), { ...options, rounds: options.quick ? 3 : Math.max(10, rounds) })));
      if (!options.quick) results.push(...decodeAtContext(model, threads, 2048, 16, 3, group));
    }
    if (threads === 1 && (wanted('tensorzoo-tokenizer') || wanted('sentencepiece-wasm'))) {
      const { contenders, bytes } = await tokenizerContenders(model);
      results.push(...(await measure('model', 'tokenize', group, contenders, (ms) => ({ 'MB/s': { value: bytes / 1e6 / (ms / 1000), unit: 'MB/s' } }), { ...options, rounds })));
    }
    return results;
  },

  summarize(results: CaseResult[]): string[] {
    const value = (name: string, impl: string, threads: number, metric: string) =>
      results.find((result) => result.name.startsWith(name) && result.impl === impl && result.threads === threads && result.metric === metric)?.median;
    const lines: string[] = [];
    for (const threads of [1, 2]) {
      for (const length of [32, 128, 512, 2048]) {
        const ours = value(`prefill-${length}`, 'tensorzoo-wasm', threads, 'tokens/s');
        for (const peer of ['ort-web', 'ort-node']) {
          const theirs = value(`prefill-${length}`, peer, threads, 'tokens/s');
          const target = peer !== 'ort-web' ? '' : length <= 128 ? ' (target ≥ 1.3×)' : ' (target ≥ 1.0×)';
          if (ours && theirs) lines.push(`prefill ${length}, ${threads} thread(s): tensorzoo-wasm ${ours.toFixed(0)} tokens/s vs ${peer} ${theirs.toFixed(0)} = ${(ours / theirs).toFixed(2)}×${target}`);
        }
      }
      for (const name of ['decode-', 'decode-at-2048']) {
        const decode = value(name === 'decode-' ? 'decode-1' : name, 'tensorzoo-wasm', threads, 'tokens/s');
        if (decode) lines.push(`${name === 'decode-' ? 'decode' : name}, ${threads} thread(s): ${decode.toFixed(1)} tokens/s`);
      }
    }
    const one = value('decode-1', 'tensorzoo-wasm', 1, 'tokens/s');
    const two = value('decode-1', 'tensorzoo-wasm', 2, 'tokens/s');
    if (one && two) lines.push(`decode, 2 threads / 1 thread: ${(two / one).toFixed(2)}× (target ≥ 1.3×; never < 1)`);
    const ours = value('tokenize', 'tensorzoo-tokenizer', 1, 'MB/s');
    const library = value('tokenize', 'sentencepiece-wasm', 1, 'MB/s');
    if (ours && library) lines.push(`tokenize: tensorzoo ${ours.toFixed(2)} MB/s vs SentencePiece (wasm) ${library.toFixed(2)} MB/s = ${(ours / library).toFixed(2)}× (target ≥ 1.0×)`);
    return lines;
  },
};

export default suite;
