// The memory bandwidth the quant suite holds its GEMVs against, measured by plain WebAssembly
// SIMD loops in the same engine (V8) as tensorzoo's kernels:
//   copy  dst[i] = src[i] over 64 MiB, 16-byte v128 loads and stores, four per iteration; GB/s in
//         the STREAM convention (bytes read + bytes written, i.e. 2 × 64 MiB per copy; the suite
//         also reports 'copied GB/s', the bytes copied, which is how core's timing.ts
//         measureWasmCopyBandwidth counts: half of this);
//   read  an xor reduction of v128 loads over 128 MiB (bytes read): the ceiling of a GEMV, which
//         only reads its weights.
// Both buffers are far beyond the caches. At 2 threads each thread takes one half of the range;
// the second thread is a worker_threads worker running the same compiled module over the same
// shared memory, woken with Atomics (as tensorzoo's pool is). The module is encoded by hand here
// (the bytes are annotated) so the benchmarks need no WebAssembly toolchain.
import { Worker } from 'node:worker_threads';
import type { Contender } from '../harness.js';
import type { Disposable } from './tensorzoo.js';

export const COPY_BYTES = 64 * 1024 * 1024;
const PAGE = 65536;
const PAGES = (2 * COPY_BYTES) / PAGE + 1;
const SOURCE = PAGE; // byte 0..PAGE left alone
const DESTINATION = SOURCE + COPY_BYTES;

function leb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 (i32.const immediates). */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (text: string) => [...leb(text.length), ...[...text].map((c) => c.charCodeAt(0))];

// Opcodes (WebAssembly core 2.0 + fixed-width SIMD).
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_GE_U = 0x4f;
const SIMD = 0xfd, V128_LOAD = 0x00, V128_STORE = 0x0b, V128_XOR = 0x51, I32X4_EXTRACT_LANE = 0x1b;
const I32 = 0x7f, V128 = 0x7b;
const memarg = (offset: number) => [4, ...leb(offset)]; // align 2^4 = 16 bytes

/** copy(dst, src, bytes) and read(src, bytes) → i32 over an imported shared memory; bytes % 64 == 0. */
export function moduleBytes(): Uint8Array<ArrayBuffer> {
  // copy: params dst 0, src 1, bytes 2; local i 3.
  const copyLoop: number[] = [];
  for (let part = 0; part < 4; part++)
    copyLoop.push(LOCAL_GET, 0, LOCAL_GET, 3, I32_ADD, LOCAL_GET, 1, LOCAL_GET, 3, I32_ADD, SIMD, ...leb(V128_LOAD), ...memarg(16 * part), SIMD, ...leb(V128_STORE), ...memarg(16 * part));
  const copy = [
    ...vector([[1, I32]]),
    BLOCK, VOID, LOOP, VOID,
    LOCAL_GET, 3, LOCAL_GET, 2, I32_GE_U, BR_IF, 1,
    ...copyLoop,
    LOCAL_GET, 3, I32_CONST, ...sleb(64), I32_ADD, LOCAL_SET, 3,
    BR, 0, END, END, END,
  ];
  // read: params src 0, bytes 1; locals i 2, accumulators 3..6 (v128, four independent chains).
  const readLoop: number[] = [];
  for (let part = 0; part < 4; part++)
    readLoop.push(LOCAL_GET, 3 + part, LOCAL_GET, 0, LOCAL_GET, 2, I32_ADD, SIMD, ...leb(V128_LOAD), ...memarg(16 * part), SIMD, ...leb(V128_XOR), LOCAL_SET, 3 + part);
  const read = [
    ...vector([[1, I32], [4, V128]]),
    BLOCK, VOID, LOOP, VOID,
    LOCAL_GET, 2, LOCAL_GET, 1, I32_GE_U, BR_IF, 1,
    ...readLoop,
    LOCAL_GET, 2, I32_CONST, ...sleb(64), I32_ADD, LOCAL_SET, 2,
    BR, 0, END, END,
    LOCAL_GET, 3, LOCAL_GET, 4, SIMD, ...leb(V128_XOR), LOCAL_GET, 5, LOCAL_GET, 6, SIMD, ...leb(V128_XOR), SIMD, ...leb(V128_XOR),
    SIMD, ...leb(I32X4_EXTRACT_LANE), 0,
    END,
  ];
  const body = (code: number[]) => [...leb(code.length), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, 3, I32, I32, I32, 0], [0x60, 2, I32, I32, 1, I32]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x03, ...leb(PAGES), ...leb(PAGES)]])), // shared, min = max
    ...section(3, vector([[0], [1]])),
    ...section(7, vector([[...name('copy'), 0x00, 0], [...name('read'), 0x00, 1]])),
    ...section(10, vector([body(copy), body(read)])),
  ]);
}

interface Exports {
  copy(dst: number, src: number, bytes: number): void;
  read(src: number, bytes: number): number;
}

// Control words in a SharedArrayBuffer: the generation a worker waits on, the command, its done count.
const GENERATION = 0, COMMAND = 1, DONE = 2;
const COPY = 1, READ = 2, STOP = 3;

const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, thread, threads, layout } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const words = new Int32Array(control);
let generation = 0;
for (;;) {
  Atomics.wait(words, ${GENERATION}, generation);
  generation = Atomics.load(words, ${GENERATION});
  const command = Atomics.load(words, ${COMMAND});
  if (command === ${STOP}) break;
  const bytes = command === ${COPY} ? layout.copyBytes : 2 * layout.copyBytes;
  const share = bytes / threads;
  const start = thread * share;
  if (command === ${COPY}) instance.exports.copy(layout.destination + start, layout.source + start, share);
  else instance.exports.read(layout.source + start, share);
  Atomics.add(words, ${DONE}, 1);
  Atomics.notify(words, ${DONE});
}
`;

export class BandwidthLoops implements Disposable {
  private readonly exports: Exports;
  private readonly words = new Int32Array(new SharedArrayBuffer(16));
  private readonly workers: Worker[] = [];

  private readonly memory: WebAssembly.Memory;

  private constructor(private readonly maxThreads: number) {
    const module = new WebAssembly.Module(moduleBytes());
    const memory = (this.memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true }));
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
    // Distinct, non-zero source bytes (every page touched before timing).
    const source = new Uint32Array(memory.buffer, SOURCE, COPY_BYTES / 4);
    for (let index = 0; index < source.length; index++) source[index] = Math.imul(index, 2654435761);
    new Uint8Array(memory.buffer, DESTINATION, COPY_BYTES).fill(1);
    const layout = { source: SOURCE, destination: DESTINATION, copyBytes: COPY_BYTES };
    for (let thread = 1; thread < maxThreads; thread++)
      this.workers.push(new Worker(workerSource, { eval: true, workerData: { module, memory, control: this.words.buffer, thread, threads: maxThreads, layout } }));
  }

  static create(maxThreads: number): BandwidthLoops {
    if (maxThreads < 1 || maxThreads > 2 || COPY_BYTES % (64 * maxThreads) !== 0) throw new Error(`BandwidthLoops: 1 or 2 threads, got ${maxThreads}`);
    const loops = new BandwidthLoops(maxThreads);
    loops.verify();
    return loops;
  }

  /** The loops do the work they are credited with: every byte copied, every byte read (on each thread count). */
  private verify(): void {
    const buffer = (this.memory.buffer as unknown) as ArrayBuffer;
    const source = new Uint8Array(buffer, SOURCE, COPY_BYTES);
    const destination = new Uint8Array(buffer, DESTINATION, COPY_BYTES);
    // read returns lane 0 of the xor of every v128: the xor of the 32-bit words at indices ≡ 0 (mod 4).
    destination.fill(1);
    const words = new Uint32Array(buffer, SOURCE, (2 * COPY_BYTES) / 4);
    let expected = 0;
    for (let index = 0; index < words.length; index += 4) expected ^= words[index]!;
    if (this.run('read', 1) >>> 0 !== expected >>> 0) throw new Error('BandwidthLoops: the read loop did not read every byte');
    for (const threads of new Set([1, this.maxThreads])) {
      destination.fill(1);
      this.run('copy', threads);
      if (Buffer.compare(source, destination) !== 0) throw new Error(`BandwidthLoops: the copy loop on ${threads} thread(s) did not copy every byte`);
    }
    destination.fill(1);
  }

  /** One pass of `kind` on `threads` threads (1, or all of the loops' threads). */
  run(kind: 'copy' | 'read', threads: number): number {
    const bytes = kind === 'copy' ? COPY_BYTES : 2 * COPY_BYTES;
    if (threads === 1) {
      if (kind === 'copy') this.exports.copy(DESTINATION, SOURCE, bytes);
      else return this.exports.read(SOURCE, bytes);
      return 0;
    }
    if (threads !== this.maxThreads) throw new Error(`BandwidthLoops: made for ${this.maxThreads} threads, asked for ${threads}`);
    Atomics.store(this.words, DONE, 0);
    Atomics.store(this.words, COMMAND, kind === 'copy' ? COPY : READ);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.notify(this.words, GENERATION);
    const share = bytes / threads;
    const result = kind === 'copy' ? (this.exports.copy(DESTINATION, SOURCE, share), 0) : this.exports.read(SOURCE, share);
    for (let done = Atomics.load(this.words, DONE); done < this.workers.length; done = Atomics.load(this.words, DONE)) Atomics.wait(this.words, DONE, done);
    return result;
  }

  /** The bytes one pass is credited with: copy counts read + written bytes (STREAM), read the bytes read; both 128 MiB. */
  static readonly bytesPerPass = 2 * COPY_BYTES;

  contender(kind: 'copy' | 'read', threads: number): Contender {
    return { impl: 'wasm-loop', threads, run: () => void this.run(kind, threads) };
  }

  async dispose(): Promise<void> {
    Atomics.store(this.words, COMMAND, STOP);
    Atomics.add(this.words, GENERATION, 1);
    Atomics.notify(this.words, GENERATION);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
