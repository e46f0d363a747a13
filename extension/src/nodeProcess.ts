// One-shot runs of the bundled `p2p-node` CLI from the extension host (e.g. `--version`,
// `topo --json`). Long-lived nodes belong to nodes/managedNode.ts; this is for commands that
// print and exit. ELECTRON_RUN_AS_NODE=1 makes desktop VS Code's Electron binary act as
// plain node; in code-server process.execPath already is node, and the variable is ignored.

import { execFile } from 'node:child_process';
import * as path from 'node:path';

/** Absolute path of dist/p2p-node.js inside the installed (or development) extension. */
export function nodeCliPath(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'p2p-node.js');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `p2p-node ARGS` to completion (bounded by timeoutMs); never rejects on a non-zero exit. */
export function runNodeCli(extensionPath: string, args: string[], timeoutMs = 15_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [nodeCliPath(extensionPath), ...args],
      {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        timeout: timeoutMs,
        maxBuffer: 4 * 1024 * 1024,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err); // spawn failure or timeout
        resolve({ code: err ? (err.code as number) : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
