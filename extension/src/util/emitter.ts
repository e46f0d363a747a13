// A tiny typed event emitter with the same shape as `vscode.Event` (listener in, disposable
// out), so vscode-free modules (the node manager, the peer state) can expose events that
// tree providers and tests subscribe to exactly as they would to VS Code's own events.

export interface Disposable {
  dispose(): void;
}

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    // Copy first: a listener may unsubscribe (or subscribe) while we iterate.
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        // One faulty listener must not stop the others, nor the node's event pump.
        console.error('[p2p] event listener failed:', error);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** Resolves on the first value the event fires that `accept` maps to something defined. */
export function firstOf<T, R>(
  event: Event<T>,
  accept: (value: T) => R | undefined,
): { promise: Promise<R>; dispose(): void } {
  let subscription: Disposable | undefined;
  const promise = new Promise<R>((resolve) => {
    subscription = event((value) => {
      const result = accept(value);
      if (result !== undefined) {
        subscription?.dispose();
        resolve(result);
      }
    });
  });
  return { promise, dispose: () => subscription?.dispose() };
}
