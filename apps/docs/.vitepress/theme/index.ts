// The default VitePress theme plus the playground component (docs/playground.md).
import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import Playground from '../playground/Playground.vue';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('Playground', Playground);
  },
} satisfies Theme;
