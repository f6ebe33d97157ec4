// A vitest reporter that writes test-results/run-status.json beside the JSON report: the run's end
// reason and its unhandled errors (uncaught exceptions, unhandled rejections), which vitest's JSON
// report leaves out although they fail the run. scripts/summarize-tests.mjs counts each as a failure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

interface SerializedErrorLike {
  name?: string;
  message?: string;
  stack?: string;
}

export class RunStatusReporter implements Reporter {
  private root = process.cwd();

  constructor(private readonly outputFile = 'test-results/run-status.json') {}

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedErrorLike>, reason: TestRunEndReason): void {
    const path = resolve(this.root, this.outputFile);
    mkdirSync(dirname(path), { recursive: true });
    const status = {
      reason,
      files: testModules.length,
      unhandledErrors: unhandledErrors.map((error) => `${error.name ?? 'Error'}: ${error.message ?? String(error)}`),
    };
    writeFileSync(path, `${JSON.stringify(status, null, 2)}\n`);
  }
}
