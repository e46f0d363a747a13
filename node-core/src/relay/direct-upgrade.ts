// Moving a relayed link onto a direct path, as libp2p's DCUtR does: the link comes up through the
// relay at once; meanwhile the metaserver coordinates a TCP simultaneous open between the two ends
// (hole-punch.ts), naming the circuit by its tokens, and on success both ends move the stream
// (migrating-stream.ts) without the TLS session above noticing. On failure the link stays relayed.
// Nothing here is trusted: TLS keeps authenticating every byte, whichever path carries it.
import type { PeerRef, PunchEvent } from '../events';
import type { MetaserverClient } from '../metaserver/metaserver-client';
import { toP2PError } from '../wire';
import { freePort, PUNCH_TIMEOUT_MS, simultaneousOpen } from './hole-punch';
import type { MigratingStream } from './migrating-stream';

/** After a failed punch, links to that peer stay relayed this long before punching again. */
const PUNCH_BACKOFF_MS = 60_000;
/** Punches this peer may be answering at once (a flood of offers costs no more). */
const MAX_ANSWERING = 8;
/** Relayed streams this peer keeps movable as the relayed end; past it, new ones just stay relayed. */
const MAX_MOVABLE = 64;
/** Peer ids remembered with a failed punch. */
const MAX_REMEMBERED = 10_000;

export class DirectUpgrade {
  /** When a punch to each peer id last failed. */
  private readonly failedAt = new Map<string, number>();
  /** The streams this peer is the relayed end of, by its own token for the circuit. */
  private readonly movable = new Map<string, Promise<MigratingStream>>();
  private readonly answering = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();

  constructor(private readonly onPunch?: (event: PunchEvent) => void) {}

  /** No recent failure with this peer. */
  worthTrying(peerId: string): boolean {
    const failed = this.failedAt.get(peerId);
    return failed === undefined || Date.now() - failed > PUNCH_BACKOFF_MS;
  }

  /** The dialer's side: punches to `peer` for the circuit whose end here is `token`, then moves `stream`. */
  start(client: MetaserverClient, peer: PeerRef, token: string, stream: MigratingStream): void {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    const signal = this.stopping.signal;
    void (async () => {
      const port = await freePort();
      const remote = await client.punch(peer.id, port, token, signal);
      await stream.moveTo(await simultaneousOpen(remote, port, PUNCH_TIMEOUT_MS, signal));
    })().then(
      () => {
        this.failedAt.delete(peer.id);
        this.onPunch?.({ event: 'punch', peer: peer.id, ok: true, ms: ms() });
      },
      (err: unknown) => {
        if (this.failedAt.size >= MAX_REMEMBERED) this.failedAt.clear();
        this.failedAt.set(peer.id, Date.now());
        if (signal.aborted) return;
        this.onPunch?.({ event: 'punch', peer: peer.id, ok: false, ms: ms(), message: toP2PError(err).message });
      },
    );
  }

  /** The relayed end's side: `stream` (once open) may be moved by an offer naming `token`. */
  track(token: string, stream: Promise<MigratingStream>): void {
    if (this.movable.size >= MAX_MOVABLE) return;
    this.movable.set(token, stream);
    const forget = (): void => void this.movable.delete(token);
    stream.then((s) => s.once('close', forget), forget);
  }

  /** The relayed end of a punch: a port for the asker, then connect from it and move the named stream. */
  answer(peer: PeerRef, token: string, answer: (port: number | undefined) => void): void {
    const stream = this.movable.get(token);
    if (!stream || this.stopping.signal.aborted || this.answering.size >= MAX_ANSWERING) return answer(undefined);
    this.movable.delete(token);
    const attempt = Promise.all([stream, freePort()])
      .then(async ([moving, port]) => {
        answer(port);
        await moving.moveTo(await simultaneousOpen(peer, port, PUNCH_TIMEOUT_MS, this.stopping.signal));
      })
      .catch(() => answer(undefined));
    this.answering.add(attempt);
    void attempt.finally(() => this.answering.delete(attempt));
  }

  close(): void {
    this.stopping.abort();
    this.movable.clear();
  }
}
