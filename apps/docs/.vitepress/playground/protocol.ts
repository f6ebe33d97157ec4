// Messages between the playground page (Playground.vue) and its Web Worker (playground-worker.ts).

export type PlaygroundBackend = 'wasm' | 'gpujs';
export type PlaygroundSampler = 'greedy' | 'random' | 'top_k' | 'top_p';

export type ToWorker =
  | {
      type: 'load';
      backend: PlaygroundBackend;
      threads: number;
      /** The preset folder's URL (the demo model the docs site serves). */
      presetUrl: string;
      /** Set to 1 by the page to stop a generation (only with SharedArrayBuffer, i.e. cross-origin isolation). */
      stopFlag: Int32Array | null;
    }
  | {
      type: 'generate';
      id: number;
      prompt: string;
      sampler: PlaygroundSampler;
      temperature: number;
      maxLength: number;
      stopAtEnd: boolean;
    };

export type FromWorker =
  | { type: 'progress'; file: string; loaded: number; total: number; cached: boolean }
  | {
      type: 'ready';
      backend: PlaygroundBackend;
      /** The backend variant and threads that run (wasm: e.g. 'simd-threads', 2). */
      variant: string;
      threads: number;
      /** Preset files read from the Cache API and over the network. */
      fromCache: string[];
      downloaded: string[];
      loadSeconds: number;
      sequenceLength: number;
    }
  | { type: 'token'; id: number; text: string; tokenId: number }
  | { type: 'done'; id: number; result: string; tokens: number; seconds: number; stopped: boolean }
  | { type: 'error'; id: number | null; kind: 'prompt-too-long' | 'load' | 'generate'; message: string };

/** Longest prompt the page sends at all (characters); longer ones get the message without a round trip. */
export const maxPromptCharacters = 100_000;
