// Waiting for one event from a node: the first event `accept` maps to a value, bounded by a timeout,
// the node's exit and an AbortSignal, with every listener and timer released on each way out.
import type { NodeEvent } from '@node-core/events';
import type { Event } from '../util/emitter';

export interface NodeEventSource {
  /** How messages name the node: "peer s1". */
  readonly label: string;
  readonly onEvent: Event<NodeEvent>;
  readonly onExit: Event<unknown>;
}

export function waitForEvent<T>(
  node: NodeEventSource,
  accept: (event: NodeEvent) => T | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (action: () => void): void => {
      clearTimeout(timer);
      eventSubscription.dispose();
      exitSubscription.dispose();
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`${node.label} did not answer within ${Math.round(timeoutMs / 1000)} s.`))),
      timeoutMs,
    );
    const onAbort = (): void => finish(() => reject(new Error('Cancelled.')));
    signal?.addEventListener('abort', onAbort, { once: true });
    const eventSubscription = node.onEvent((event) => {
      const value = accept(event);
      if (value !== undefined) finish(() => resolve(value));
    });
    const exitSubscription = node.onExit(() => finish(() => reject(new Error(`${node.label} stopped.`))));
    if (signal?.aborted) onAbort();
  });
}
