// How much one connection may have a holder do at once. A getter asks for a window of chunks (8
// by default, across its holders) and reads them as they come. A connection that keeps asking
// without reading would otherwise make the holder read every chunk it asks for into memory and
// queue it behind a socket that never drains: 1 MiB per request, without bound, until the holder
// runs out of memory. So per connection at most SERVING chunks are being read and sent (one counts
// until the socket has taken its bytes), later requests wait in order, and a connection with more
// than SERVE_WAITING_MAX requests waiting is closed as a protocol violation. A stalled connection then
// holds SERVING MiB at most, until the idle timeout closes it.
import type { Connection } from '../wire';

const SERVING = 8;
export const SERVE_WAITING_MAX = 64;

export class ServeQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /** Runs `serve` once fewer than SERVING others run; false (nothing run) if too many already wait. */
  async run(serve: () => Promise<void>): Promise<boolean> {
    if (this.active >= SERVING) {
      if (this.waiting.length >= SERVE_WAITING_MAX) return false;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      await serve();
    } finally {
      // hand the slot straight to the next waiter (active stays the same), or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
    return true;
  }
}

const queues = new WeakMap<Connection, ServeQueue>();

/** The queue of one connection (made on first use, gone with the connection). */
export function serveQueueOf(conn: Connection): ServeQueue {
  let queue = queues.get(conn);
  if (!queue) {
    queue = new ServeQueue();
    queues.set(conn, queue);
  }
  return queue;
}
