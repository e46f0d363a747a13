// One relayed link: two sockets spliced byte for byte, half-closes included. The relay reads
// nothing in them (the two peers run TLS end to end over it); it only counts, caps and times them out.
import type { Socket } from 'node:net';
import type { UploadLimiter } from '../transfer/upload-limiter';

export interface CircuitLimits {
  /** Bytes both ways together after which the circuit is cut. */
  maxBytes: number;
  /** No byte either way for this long: the circuit is dropped. */
  idleMs: number;
  /** The relay's total rate, shared by all its circuits. */
  limiter?: UploadLimiter;
}

export type CircuitEnd = 'capped' | 'idle' | 'closed';

export class RelayCircuit {
  /** Bytes carried so far, both ways. */
  bytes = 0;
  private ended: CircuitEnd | undefined;

  constructor(
    private readonly a: Socket,
    private readonly b: Socket,
    private readonly limits: CircuitLimits,
    private readonly onEnd: (circuit: RelayCircuit, why: CircuitEnd) => void,
  ) {
    for (const socket of [a, b]) {
      socket.setNoDelay(true);
      // any byte either way counts as activity on both sockets, as each is written what the other read
      socket.setTimeout(limits.idleMs, () => this.close('idle'));
      // a clean close waits for the other socket to flush what it still owes its end
      socket.once('close', (hadError) => (hadError || (a.closed && b.closed) ? this.close('closed') : undefined));
      socket.on('error', () => this.close('closed'));
    }
    this.pump(a, b);
    this.pump(b, a);
  }

  get endedAs(): CircuitEnd | undefined {
    return this.ended;
  }

  close(why: CircuitEnd = 'closed'): void {
    if (this.ended) return;
    this.ended = why;
    this.a.destroy();
    this.b.destroy();
    this.onEnd(this, why);
  }

  /** Copies `from` into `to`, one read at a time: waits for the rate and the receiver before reading on. */
  private pump(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (this.bytes > this.limits.maxBytes) return this.close('capped');
      const flushed = to.write(chunk);
      const paced = this.limits.limiter?.take(chunk.length);
      if (flushed && !paced) return;
      from.pause();
      const drained = flushed ? undefined : new Promise<void>((resolve) => to.once('drain', resolve));
      void Promise.all([paced, drained]).then(() => {
        if (!this.ended) from.resume();
      });
    });
    // a half-close is passed on: an end that moves its stream to a direct path (migrating-stream.ts)
    // stops writing here while the other end may still be sending
    from.once('end', () => to.end());
    from.resume();
  }
}
