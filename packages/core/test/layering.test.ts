// The workspace layering: core imports nothing from the workspace; layers imports core; models
// imports layers and core; cli may import all three. Checked over every source file's imports.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const packagesRoot = new URL('../../', import.meta.url).pathname;
const allowed: Record<string, string[]> = {
  core: [],
  layers: ['core'],
  models: ['core', 'layers'],
  cli: ['core', 'layers', 'models'],
};

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return /\.(ts|mts|js)$/.test(name) ? [path] : [];
  });
}

describe('package layering', () => {
  for (const [packageName, dependencies] of Object.entries(allowed)) {
    test(`${packageName} imports only ${dependencies.join(', ') || 'nothing'} from the workspace`, () => {
      const source = join(packagesRoot, packageName, 'src');
      // A missing or empty src/ is a failure, not a vacuous pass.
      const files = sourceFiles(source);
      expect(files.length, `source files under ${source}`).toBeGreaterThan(0);
      const violations: string[] = [];
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]@tensorzoo\/([\w-]+)/g)) {
          if (!dependencies.includes(match[1]!)) violations.push(`${file.slice(packagesRoot.length)} imports @tensorzoo/${match[1]}`);
        }
        for (const match of text.matchAll(/from\s+['"](\.\.\/)+(\.\.\/)?(core|layers|models|cli)\//g))
          if (match[3] !== packageName) violations.push(`${file.slice(packagesRoot.length)} reaches into ${match[3]} by relative path`);
      }
      expect(violations).toEqual([]);
    });
  }
});
