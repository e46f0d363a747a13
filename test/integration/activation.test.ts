// The extension loads in a real VS Code 1.100 extension host, registers every command of
// its manifest, and can run the bundled CLI as a child process.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './support/extension';

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (engines.vscode too new? see the code-server log)`);
  return ext;
}

describe('activation', () => {
  it('runs in VS Code 1.100.x', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it('activates', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every command of the manifest', async () => {
    const manifest = extension().packageJSON as { contributes: { commands: Array<{ command: string }> } };
    const declared = manifest.contributes.commands.map((c) => c.command);
    assert.ok(declared.length > 0, 'the manifest declares no command');
    await extension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `declared in package.json but not registered: ${missing.join(', ')}`);
  });

  it('spawns the p2p-node CLI as a child process of the extension host', async () => {
    await extension().activate();
    const manifest = extension().packageJSON as { version: string };
    const out = await vscode.commands.executeCommand<string>('p2p._nodeVersion');
    assert.equal(out, `p2p-node ${manifest.version}`);
  });
});
