// A relayed stream that can move onto a direct path mid-flight, as libp2p's DCUtR moves a link off
// its relay. TLS runs over this stream end to end, so a move only changes which pipe carries the
// bytes. Once both sides have seen the move marker on the direct socket, each ends its writes on
// the relay (a TCP FIN the relay passes on) and writes on the direct socket from then on; each reads
// the relay to its end, then the direct socket. No byte is lost, doubled or reordered, and a pipe
// that lies fails TLS as it would on any path.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { P2PError } from '../wire';
import { readExactly } from './relay-preamble';

/** The first bytes each side writes on the direct socket: "I move this stream onto you". */
const MOVE_MARKER = Buffer.from('P2PMOVE1', 'latin1');
/** How long the far end's marker may take on the direct socket before the stream stays relayed. */
export const MOVE_TIMEOUT_MS = 5000;

export class MigratingStream extends Duplex {
  private writeTo: Socket;
  private reading: Socket;
  /** Set once both sides agreed on the move. */
  private direct: Socket | undefined;
  private moving = false;
  private relayEnded = false;
  private finished = false;
  private readonly onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.reading.pause();
  };

  constructor(private readonly relay: Socket) {
    super({ allowHalfOpen: false });
    this.writeTo = relay;
    this.reading = relay;
    relay.on('data', this.onData);
    relay.once('end', () => this.onRelayEnd());
    relay.on('error', (err) => this.destroy(err));
    relay.once('close', () => {
      // read to its end and no longer written (moved, or the stream is done): its going is expected
      if (!(this.relayEnded && (this.direct || this.finished))) this.destroy();
    });
  }

  /** True once the stream runs on the direct path. */
  get moved(): boolean {
    return this.direct !== undefined;
  }

  /**
   * Moves onto `direct`, a fresh TCP connection to the far end, whose side moves this same stream
   * (the metaserver told both which one). Rejects, leaving the stream relayed, if the far end's
   * marker does not come.
   */
  async moveTo(direct: Socket, timeoutMs = MOVE_TIMEOUT_MS): Promise<void> {
    if (this.moving || this.direct || this.destroyed || this.finished) {
      direct.destroy();
      throw new P2PError('PROTOCOL', 'this stream cannot move now');
    }
    this.moving = true;
    try {
      direct.setNoDelay(true);
      direct.write(MOVE_MARKER);
      await readMarker(direct, timeoutMs);
    } catch (err) {
      direct.destroy();
      // the far end may have moved already: its bytes now wait on a socket we gave up
      if (this.relayEnded) this.destroy(err as Error);
      throw err;
    } finally {
      this.moving = false;
    }
    if (this.destroyed || this.finished) {
      direct.destroy();
      throw new P2PError('CANCELLED', 'the stream ended while moving');
    }
    this.direct = direct;
    direct.on('error', (err) => this.destroy(err));
    direct.once('close', () => {
      if (!this.readableEnded || !this.finished) this.destroy(new P2PError('PEER_UNREACHABLE', 'direct path closed'));
    });
    this.writeTo = direct;
    this.relay.end();
    if (this.relayEnded) this.readDirect();
    this.emit('moved');
  }

  override _read(): void {
    this.reading.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error) => void): void {
    if (this.writeTo.write(chunk)) done();
    else this.writeTo.once('drain', () => done());
  }

  override _final(done: (err?: Error) => void): void {
    this.finished = true;
    this.writeTo.end();
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.relay.destroy();
    this.direct?.destroy();
    done(err);
  }

  private onRelayEnd(): void {
    this.relayEnded = true;
    if (this.direct) this.readDirect();
    // a move under way picks the reading up when it completes; none: the far end closed the stream
    else if (!this.moving) this.push(null);
  }

  private readDirect(): void {
    const direct = this.direct as Socket;
    this.relay.off('data', this.onData);
    this.reading = direct;
    direct.on('data', this.onData);
    direct.once('end', () => this.push(null));
    direct.resume();
  }
}

/** Reads exactly the move marker off `socket`, leaving whatever follows it unread. */
async function readMarker(socket: Socket, timeoutMs: number): Promise<void> {
  const bytes = await readExactly(socket, MOVE_MARKER.length, timeoutMs, 'move marker');
  if (!bytes.equals(MOVE_MARKER)) throw new P2PError('PROTOCOL', 'not a move marker');
}
