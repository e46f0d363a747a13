// Reads commands from stdin until STOP or SIGTERM/SIGINT. EOF is not a stop: a peer spawned
// by the VS Code extension may never write to stdin, and it must keep running until told.
import { MAX_COMMAND_LINE, readBoundedLines } from './bounded-lines';
import type { EventOutput } from './output';
import { parseCommand, type StdinCommand } from './stdin-commands';

export interface StdinSession {
  /** Any command but STOP. */
  onCommand(command: StdinCommand): void;
  /** A line that is not a command. */
  onBadLine(message: string): void;
  /** Releases everything; resolves with the exit code. */
  shutdown(): Promise<number>;
}

/** Runs `session` until STOP or a signal; prints "stopped" and resolves with the exit code. */
export function runUntilStopped(session: StdinSession, out: EventOutput): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      detach();
      process.stdin.pause();
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      session.shutdown().then(
        (code) => {
          out.emit({ event: 'stopped' });
          resolve(code);
        },
        () => {
          out.emit({ event: 'stopped' });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const detach = readBoundedLines(process.stdin, {
      line: (line) => {
        if (stopping) return;
        const parsed = parseCommand(line);
        if (parsed === undefined) return;
        if ('error' in parsed) return session.onBadLine(parsed.error);
        if (parsed.name === 'STOP') return stop();
        session.onCommand(parsed);
      },
      tooLong: (length) => {
        if (!stopping) session.onBadLine(`a line of ${length} characters (at most ${MAX_COMMAND_LINE}) was ignored`);
      },
    });
  });
}
