// Registers a command with one error policy: whatever fails becomes a notification a user can
// act on (Show Log, Set Network Key, Start Metadata Server), never a stack trace. When the
// command was scripted (an argument object) the error is also rethrown, so callers and tests
// see the failure; from the UI it is shown once and the command returns undefined.

import * as vscode from 'vscode';
import { ArgumentError, argumentObject } from './commandArgs';
import { NodeError } from '../nodes/errorMessages';
import type { P2PServices } from './services';

export type CommandHandler = (...args: unknown[]) => Promise<unknown>;

export function registerP2PCommand(services: P2PServices, id: string, handler: CommandHandler): void {
  services.context.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        void reportError(services, error);
        if (isScripted(args[0])) throw error instanceof Error ? new Error(error.message) : new Error(String(error));
        return undefined;
      }
    }),
  );
}

/** Called by a script or test (an argument object, or a bare id/key string), not from the UI. */
export function isScripted(firstArgument: unknown): boolean {
  return argumentObject(firstArgument) !== undefined || typeof firstArgument === 'string';
}

/** A prompt the user dismissed: not an error, the command just ends. */
export class PromptCancelled extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'PromptCancelled';
  }
}

/** A failure the user was already told about in a notification of its own (one that offers a way out). */
export class ShownToUser extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShownToUser';
  }
}

export async function reportError(services: P2PServices, error: unknown): Promise<void> {
  if (error instanceof PromptCancelled || error instanceof ShownToUser) return;
  if (error instanceof NodeError) {
    const actions: string[] = [];
    if (error.detail.action === 'showLog' && error.nodeKey) actions.push('Show Log');
    if (error.detail.action === 'setNetworkKey') actions.push('Set Network Key');
    if (error.detail.action === 'startMetaserver') actions.push('Start Metadata Server');
    if (error.nodeKey && !actions.includes('Show Log')) actions.push('Show Log');
    const choice = await vscode.window.showErrorMessage(error.message, ...actions);
    if (choice === 'Show Log' && error.nodeKey) services.showLog(error.nodeKey);
    if (choice === 'Set Network Key') await vscode.commands.executeCommand('p2p.setNetworkKey');
    if (choice === 'Start Metadata Server') await vscode.commands.executeCommand('p2p.startMetadataServer');
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ArgumentError) await vscode.window.showErrorMessage(`P2P: invalid argument: ${message}`);
  else await vscode.window.showErrorMessage(message.startsWith('P2P') ? message : `P2P: ${message}`);
}

/** `undefined` from a prompt means the user pressed Escape. */
export function required<T>(value: T | undefined): T {
  if (value === undefined) throw new PromptCancelled();
  return value;
}
