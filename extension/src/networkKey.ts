// The network key lives in SecretStorage (the OS keychain on desktop), never in settings. Nodes
// get it through the P2P_NETWORK_KEY environment variable, never on their command line.

import type * as vscode from 'vscode';

const SECRET_NAME = 'p2p.networkKey';

export class NetworkKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_NAME);
  }

  set(key: string): Thenable<void> {
    return this.secrets.store(SECRET_NAME, key);
  }

  clear(): Thenable<void> {
    return this.secrets.delete(SECRET_NAME);
  }
}
