// Mocha runner inside the VS Code extension host (code-server via scripts/run-vscode-tests.mjs,
// or desktop VS Code via scripts/run-desktop-tests.mjs / the "Extension Tests" launch config).
// VS Code loads dist/test/integration/index.js and calls run(); it resolves when all tests
// pass and rejects otherwise, which becomes the exit code of the run.
//
// Adding a test: create test/integration/<name>.test.ts (sub-folders too) using bdd globals
// (describe/it/before/after) like the unit tests; `npm run build` picks it up by itself
// (see scripts/esbuild-integration-suites.mjs). Output goes to console.log, which the
// harness forwards to the terminal. P2P_TEST_GREP=<regex> runs only matching tests.

import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import suites from 'integration-suites';
import { stackMapper } from './sourceMappedStacks';

export function run(): Promise<void> {
  const grep = process.env.P2P_TEST_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false, // output travels through console.log into another terminal
    timeout: Number(process.env.P2P_TEST_TIMEOUT_MS) || 30_000,
    ...(grep ? { grep } : {}),
  });
  // The spec reporter writes through Base.consoleLog; make sure it is the host's console.log,
  // which VS Code forwards (process.stdout of the extension host goes nowhere visible).
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog = (...a) =>
    console.log(...a);

  // Join Network browses the LAN (mDNS) while its pick is open: in tests, on loopback only, so no
  // test multicasts on the machine's real interfaces.
  mocha.suite.beforeAll(() =>
    vscode.workspace
      .getConfiguration('p2p')
      .update('discovery.interfaces', ['127.0.0.1'], vscode.ConfigurationTarget.Global),
  );
  for (const { file, load } of suites) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    mocha.suite.emit('require', load(), file, mocha);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }

  return new Promise((resolve, reject) => {
    try {
      const mapStack = stackMapper(path.resolve(__dirname, '..', '..', '..'));
      const runner = mocha.run((failures) => {
        const passed = runner.stats?.passes ?? 0;
        const failed = failures;
        console.log(`vscode: ${passed} passed, ${failed} failed`);
        if (failed > 0) reject(plainError(`${failed} integration test(s) failed`));
        else if (passed === 0)
          reject(plainError(grep ? `no integration test matches P2P_TEST_GREP=${grep}` : 'no integration test ran'));
        else resolve();
      });
      // Before the reporter prints failures (at the end): stacks in .ts coordinates.
      runner.on('fail', (_test, err: { stack?: string }) => {
        if (typeof err?.stack === 'string') err.stack = mapStack(err.stack);
      });
    } catch (err) {
      console.error(err);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** An error VS Code prints as one line: the failures themselves are already reported above. */
function plainError(message: string): Error {
  const err = new Error(message);
  err.stack = message;
  return err;
}
