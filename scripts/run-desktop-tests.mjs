#!/usr/bin/env node
// `npm run test:desktop`: the same integration suite (dist/test/integration/index.js) in desktop
// VS Code via @vscode/test-electron, for a machine with internet access: it downloads
// VS Code into .vscode-test/ (gitignored) on the first run. This machine and CI cannot
// download it; there `npm run test:vscode` runs the suite in code-server instead.
//
//   VSCODE_VERSION=stable npm run test:desktop     default 1.100.3, the version code-server serves
//   P2P_TEST_GREP=regex npm run test:desktop       as with test:vscode
//
// On Linux without a display, run it under xvfb-run -a.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// engines.vscode is ^1.100.0: 1.100.3 is the oldest release we support and the one CI tests.
const version = process.env.VSCODE_VERSION || '1.100.3';

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-desktop-test-'));
try {
  const code = await runTests({
    version,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'dist', 'test', 'integration', 'index'),
    // No P2P_TEST_CHANNEL / P2P_TEST_DRIVERS_RUNNING: no Playwright driver runs beside desktop VS Code,
    // so the tests that need one skip themselves.
    extensionTestsEnv: { P2P_TEST_GREP: process.env.P2P_TEST_GREP },
    // The workspace folder first; no other extensions, so only ours can break the run.
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
    ],
  });
  process.exitCode = code;
} catch (err) {
  // runTests rejects (TestRunFailedError) when VS Code exits non-zero: a failing test or a crash.
  process.stderr.write(`[test:desktop] ${err?.message ?? err}\n`);
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
