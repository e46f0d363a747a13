// Reads commands from stdin, one per line. EOF is not a stop: a peer spawned by the VS Code
// extension may never write to stdin, and it must keep running until STOP or a signal.
import { createInterface, type Interface } from 'node:readline';

export class LineInput {
  private readonly rl: Interface;

  constructor(onLine: (line: string) => void) {
    this.rl = createInterface({ input: process.stdin, terminal: false });
    this.rl.on('line', onLine);
  }

  close(): void {
    this.rl.close();
    process.stdin.pause();
  }
}

/** Calls `stop` once on SIGTERM or SIGINT; returns the function that removes the handlers. */
export function onTerminationSignal(stop: () => void): () => void {
  const handler = (): void => stop();
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
