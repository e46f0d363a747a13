import * as vscode from 'vscode';
import { registerInternalCommands } from './internalCommands';

export function activate(context: vscode.ExtensionContext): void {
  registerInternalCommands(context);
  const commands = (require('../../package.json') as { contributes: { commands: Array<{ command: string }> } }).contributes.commands;
  for (const { command } of commands) {
    context.subscriptions.push(
      vscode.commands.registerCommand(command, () => vscode.window.showInformationMessage(`${command} is not available yet.`)),
    );
  }
}

export function deactivate(): void {}
