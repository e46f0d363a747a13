// P2P: Set / Clear Network Key. The key goes to SecretStorage and reaches nodes started later
// through P2P_NETWORK_KEY; running nodes keep the key they started with.

import * as vscode from 'vscode';
import { ArgumentError, argumentObject } from './commandArgs';
import { registerP2PCommand, required } from './commandRunner';
import type { P2PServices } from './services';

export function registerKeyCommands(services: P2PServices): void {
  registerP2PCommand(services, 'p2p.setNetworkKey', async (arg) => {
    const fields = argumentObject(arg);
    const given: unknown = typeof arg === 'string' ? arg : fields?.key;
    if (given !== undefined && typeof given !== 'string') throw new ArgumentError('"key" must be a string.');
    const key =
      typeof given === 'string'
        ? given
        : required(
            await vscode.window.showInputBox({
              title: 'P2P: Set Network Key',
              prompt:
                'Shared secret every node of the network must hold (stored in the OS keychain, never in settings)',
              password: true,
              validateInput: (v) => (v.length >= 8 ? undefined : 'Use at least 8 characters.'),
            }),
          );
    if (key.length === 0) throw new ArgumentError('"key" must not be empty (use P2P: Clear Network Key to remove it).');
    await services.keys.set(key);
    notifyRestartNeeded(services, 'set');
    return true;
  });
  registerP2PCommand(services, 'p2p.clearNetworkKey', async () => {
    await services.keys.clear();
    notifyRestartNeeded(services, 'cleared');
    return true;
  });
}

function notifyRestartNeeded(services: P2PServices, what: 'set' | 'cleared'): void {
  const running = services.manager.nodes.filter((n) => n.status === 'running').length;
  const tail =
    running > 0
      ? ' Nodes already running keep the key they started with: stop and start them to apply it.'
      : ' Nodes you start from now on use it.';
  void vscode.window.showInformationMessage(`P2P: network key ${what}.${tail}`);
}
