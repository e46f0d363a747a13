// One command line to a running node and the event that answers it: `accept` turns the answer
// (or the error event meant for this command) into a result or a NodeError; a NodeError throws.

import type { NodeEvent } from '@node-core/events';
import { NodeError } from './errorMessages';
import type { ManagedNode } from './managedNode';

export async function requestOf<T>(
  node: ManagedNode,
  line: string,
  accept: (event: NodeEvent) => T | NodeError | undefined,
  timeoutMs: number,
): Promise<T> {
  const answer = node.waitFor<T | NodeError>(accept, timeoutMs);
  node.send(line);
  const result = await answer;
  if (result instanceof NodeError) throw result;
  return result;
}
