declare module 'virtual:benchmark-results' {
  import type { ResultFile } from './results.js';
  const files: ResultFile[];
  export default files;
}
