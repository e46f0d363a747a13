// Whom a running peer lets in, over its stdin: BLOCK a peer (by id or key fingerprint) and
// TRUST a new key for an id. Each sends one line and waits for the event that confirms it.
// No `vscode` import: the commands and the key-change notification add the UI.

import type { BlockedEvent, NodeEvent, TrustedEvent } from '@node-core/events';
import { describeNodeError, NodeError } from './errorMessages';
import type { ManagedNode } from './managedNode';
import { requestOf } from './nodeRequest';

const ANSWER_TIMEOUT_MS = 10_000;

/** `BLOCK <id|fingerprint>`: the node refuses it from now on and closes its links. */
export function blockPeer(node: ManagedNode, target: string): Promise<BlockedEvent> {
  return ask(node, `BLOCK ${target}`, (event) => (event.event === 'blocked' ? event : undefined));
}

/** `TRUST <id> <fingerprint>`: the node pins the new key for that id. */
export function trustKey(node: ManagedNode, id: string, fingerprint: string): Promise<TrustedEvent> {
  return ask(node, `TRUST ${id} ${fingerprint}`, (event) => (event.event === 'trusted' ? event : undefined));
}

function ask<T>(node: ManagedNode, line: string, accept: (event: NodeEvent) => T | undefined): Promise<T> {
  return requestOf<T>(
    node,
    line,
    (event) => {
      if (event.event === 'error' && event.code === 'BAD_COMMAND')
        return new NodeError(describeNodeError(event.code, event.message, { node: node.launch.label }), node.key);
      return accept(event);
    },
    ANSWER_TIMEOUT_MS,
  );
}
