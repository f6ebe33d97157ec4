// VitePress over the repository's docs/ folder. Code examples live in apps/docs/examples/ and are
// included into pages with `<<<` snippet imports; apps/docs/test runs every one of them.
import { defineConfig } from 'vitepress';
import { crossOriginIsolationHeaders, demoModel } from './playground/site-plugin';

export default defineConfig({
  title: 'tensorzoo',
  description: 'A pure-TypeScript tensor framework and Gemma model zoo',
  srcDir: '../../docs',
  cleanUrls: false,
  lastUpdated: false,
  // The local search index and the API reference make large chunks; that is expected here.
  // The playground (docs/playground.md) needs: the COOP/COEP headers from the dev server
  // (threads; `npm run preview` is scripts/preview.mjs, which sends them too: `vitepress preview`
  // cannot), module workers, and the demo model's files at /models/tinycode-gemma2-6m/.
  vite: {
    build: { chunkSizeWarningLimit: 4000 },
    server: { headers: crossOriginIsolationHeaders },
    worker: { format: 'es' },
    plugins: [demoModel()],
  },
  ignoreDeadLinks: [/^\.\.\/(apps|packages|benchmarks)\//],
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'Gemma', link: '/gemma' },
      { text: 'Playground', link: '/playground' },
      { text: 'API', link: '/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
    sidebar: [
      {
        text: 'Introduction',
        items: [
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Concepts', link: '/concepts' },
        ],
      },
      {
        text: 'Packages',
        items: [
          { text: '@tensorzoo/core', link: '/packages/core' },
          { text: '@tensorzoo/layers', link: '/packages/layers' },
          { text: '@tensorzoo/models', link: '/packages/models' },
          { text: '@tensorzoo/cli', link: '/packages/cli' },
          { text: 'GPU.js backend', link: '/gpujs' },
          { text: 'Serving (OpenAI API), chat', link: '/serving' },
          { text: 'Running in the browser', link: '/browser' },
        ],
      },
      {
        text: 'Gemma',
        items: [
          { text: 'Gemma guide', link: '/gemma' },
          { text: 'Playground (in your browser)', link: '/playground' },
          { text: 'Quantization (int8, int4)', link: '/quantization' },
          { text: 'Random presets, GGUF and HF export', link: '/export-and-random-presets' },
          { text: 'Running large Gemmas', link: '/running-large-gemmas' },
          { text: 'Scaling out', link: '/scaling-out' },
          { text: 'Differences from KerasHub', link: '/differences-from-kerashub' },
        ],
      },
      {
        text: 'Project',
        items: [
          { text: 'Benchmarks', link: '/benchmarks' },
          { text: 'Architecture', link: '/architecture' },
          { text: 'Contributing and releases', link: '/contributing' },
          { text: 'API reference', link: '/api/' },
        ],
      },
    ],
  },
});
