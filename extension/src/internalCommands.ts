// Commands not in the manifest (no palette entry): hooks for the integration tests and for
// scripting. Names start with `p2p._`.

import * as vscode from 'vscode';
import { runNodeCli } from './nodeProcess';

export function registerInternalCommands(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    // Proves the extension host can run the bundled CLI as a child process: returns
    // `p2p-node <version>` as printed by `node dist/p2p-node.js --version`.
    vscode.commands.registerCommand('p2p._nodeVersion', async (): Promise<string> => {
      const r = await runNodeCli(context.extensionPath, ['--version']);
      if (r.code !== 0) throw new Error(`p2p-node --version exited ${r.code}: ${r.stderr.trim()}`);
      return r.stdout.trim();
    }),
  );
}
