// One error type for everything the network layer refuses, carrying a contract code from
// events.ts so the CLI can print `{"event":"error","code":...}` without guessing.
import type { ErrorCode } from '../events';

export class P2PError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly subject?: string,
  ) {
    super(message);
    this.name = 'P2PError';
  }
}

/** Normalises anything thrown into a P2PError (unknown failures become `fallback`). */
export function toP2PError(err: unknown, fallback: ErrorCode = 'INTERNAL'): P2PError {
  if (err instanceof P2PError) return err;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return new P2PError('PORT_IN_USE', err.message);
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'EPIPE') {
      return new P2PError('PEER_UNREACHABLE', err.message);
    }
    if (err.name === 'AbortError') return new P2PError('CANCELLED', err.message);
    return new P2PError(fallback, err.message);
  }
  return new P2PError(fallback, String(err));
}
