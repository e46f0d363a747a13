// One framed, validated, optionally authenticated connection over a net.Socket: handshake,
// one-way messages, request/response by request id, backpressure-aware payloads, idle timeout.
// Every failure ends in close(err), which is the one path that releases the socket and timers.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrorCode, type ErrorCode } from '../error-codes';
import type { ConnectionRole } from './auth';
import { ChannelHandshake, type HandshakeOutcome } from './channel-handshake';
import { P2PError, toP2PError } from './errors';
import { encodeFramePrefix, framed, FrameDecoder, hasHeadroom } from './frame';
import { decodeMessage, PROTOCOL_VERSION, SENDER_NAMED, type AnyMessage, type Message } from './messages';
import type { MetaserverPin } from './metaserver-pin';
import { payloadBuffer } from './payload-pool';
import type { ReusedReadBuffer } from './reused-read-buffer';
import type { ChannelSecurity, SecureSession } from './secure-channel';
import type { BlockedPeer } from './trust-store';
import type { RelayRoute } from './server';

export interface ConnectionOptions {
  /** The shared network key; both sides must hold the same one (or both none). */
  key?: string;
  /** This node's key pair, announced id and pins (default: anonymousSecurity()). */
  security?: ChannelSecurity;
  handshakeTimeoutMs?: number;
  /** Close after this long without any incoming bytes; 0 disables. */
  idleTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Close once this much is queued for a remote that does not read it (default: QUEUED_MAX_BYTES). */
  maxQueuedBytes?: number;
}

/**
 * What may wait in our write queue for one remote. Node queues whatever we write, however full
 * the socket: a remote that keeps asking and never reads would grow it without bound. A holder
 * keeps at most 8 MiB of chunks in flight per connection (transfer/serve-queue.ts), so a queue
 * past this is a remote that stopped reading.
 */
/**
 * The stream under a link that came up through a relay: relayed until it moves onto a direct
 * path (relay/migrating-stream.ts has `moved` and emits 'moved'; a plain relayed socket never moves).
 */
export interface RelayedStream {
  readonly moved?: boolean;
  once(event: 'moved', listener: () => void): unknown;
}

/** What every dial and server of one node share: its key, its identity, and its way to relayed peers. */
export type LinkCredentials = Pick<ConnectionOptions, 'key' | 'security'> & { relay?: RelayRoute };

/** What the handshake needs beyond the connection's options. */
export interface HandshakeOptions extends ConnectionOptions {
  /** Dialer only: the id the remote must announce (ID_MISMATCH otherwise). */
  expectId?: string;
  /** Dialer only: the remote is a metaserver, its key pinned under its address (KEY_CHANGED otherwise). */
  metaserver?: MetaserverPin;
}

export const QUEUED_MAX_BYTES = 32 * 1024 * 1024;

export interface Incoming {
  readonly msg: AnyMessage;
  /** The payload in one buffer of its own (an answer's payload may come from payloadPool). */
  readonly payload: Buffer;
}

export interface RequestOptions {
  payload?: Buffer;
  timeoutMs?: number;
  /**
   * The timeout counts from the last bytes this connection received, not from the request: for
   * answers queued behind others on the same link (a holder pacing chunks), which are late
   * because the link is busy, not because the peer is gone.
   */
  timeoutFromLastTraffic?: boolean;
  signal?: AbortSignal;
}

interface Pending {
  resolve: (incoming: Incoming) => void;
  reject: (err: P2PError) => void;
  cleanup: () => void;
}

const EMPTY = Buffer.alloc(0);

export interface ConnectionEvents {
  close: [P2PError | undefined];
  /** The link's bytes moved off the relay onto a direct path (see `relayed`). */
  moved: [];
}

export type MessageHandler = (incoming: Incoming, conn: Connection) => void;

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly remoteHost: string;
  readonly remotePort: number;
  private readonly decoder = new FrameDecoder<AnyMessage>((header, payloadLength) => this.admit(header, payloadLength));
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  private closedWith: P2PError | undefined | null = null; // null = still open
  private readonly requestTimeoutMs: number;
  private readonly maxQueuedBytes: number;
  /** The id the remote announced, bound to its key ('' for a metaserver or a tool). */
  remoteId = '';
  private handler: MessageHandler | undefined;
  private readonly backlog: Incoming[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private lastReceived = Date.now();
  private lastAnswered = 0;
  /** Set while the handshake runs; afterwards messages go to the handler. */
  private handshakeStep: ((msg: AnyMessage) => void) | undefined;
  private handshakeDone = false;
  /** Settles when the socket drains; shared by every writer waiting for it. */
  private drained: Promise<void> | undefined;
  /** The last frame sent as one buffer (framed()): the next waits for it, so the socket never joins two. */
  private framedTail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly socket: Socket,
    readonly role: ConnectionRole,
    private readonly session: SecureSession,
    options: ConnectionOptions,
    private readonly relayedOver?: RelayedStream,
  ) {
    super();
    relayedOver?.once('moved', () => {
      if (this.isOpen) this.emit('moved');
    });
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? QUEUED_MAX_BYTES;
    this.remoteHost = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
  }

  /**
   * Runs the handshake on a connected socket; resolves once both sides are accepted. `reads`:
   * the socket was made with that buffer's `onread`, so its bytes come from there, not 'data'.
   */
  static open(
    socket: Socket,
    role: ConnectionRole,
    session: SecureSession,
    options: HandshakeOptions & { security: ChannelSecurity; relayed?: RelayedStream },
    reads?: ReusedReadBuffer,
  ): Promise<Connection> {
    const conn = new Connection(socket, role, session, options, options.relayed);
    return conn.handshake(options, reads);
  }

  /** The SHA-256 fingerprint of the remote's key, verified by TLS. */
  get remoteFingerprint(): string {
    return this.session.remoteFingerprint;
  }

  /** True while this link's bytes go through a relay (a move direct emits 'moved'). */
  get relayed(): boolean {
    return this.relayedOver !== undefined && this.relayedOver.moved !== true;
  }

  get isOpen(): boolean {
    return this.closedWith === null;
  }

  private handshake(
    options: HandshakeOptions & { security: ChannelSecurity },
    reads: ReusedReadBuffer | undefined,
  ): Promise<Connection> {
    const socket = this.socket;
    socket.setNoDelay(true);
    const steps = new ChannelHandshake(this.role, this.session, options);

    return new Promise<Connection>((resolve, reject) => {
      let settled = false;
      const finish = (err?: P2PError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.off('close', onEarlyClose);
        if (err) {
          this.close(err, true);
          reject(err);
        } else {
          this.handshakeStep = undefined;
          this.handshakeDone = true;
          this.watchIdle(options.idleTimeoutMs ?? 60_000);
          this.watchBlocks(options.security);
          resolve(this);
        }
      };
      const onEarlyClose = (err: P2PError | undefined): void =>
        finish(err ?? new P2PError('PEER_UNREACHABLE', 'closed during handshake'));
      this.on('close', onEarlyClose);
      const timer = setTimeout(
        () => finish(new P2PError('PEER_UNREACHABLE', 'handshake timed out')),
        options.handshakeTimeoutMs ?? 5000,
      );
      const run = (step: Promise<HandshakeOutcome>): void => {
        step.then(
          (outcome) => {
            if (!this.isOpen || settled) return;
            if (outcome.send) this.write(outcome.send);
            if (outcome.remoteId === undefined) return;
            this.remoteId = outcome.remoteId;
            finish();
          },
          (err: unknown) => finish(toP2PError(err, 'PROTOCOL')),
        );
      };

      let received = false;
      this.handshakeStep = (msg: AnyMessage): void => {
        if (msg.t === 'error') return finish(new P2PError(asErrorCode(msg.code), `refused by remote: ${msg.message}`));
        if (msg.t !== 'hello' || received)
          return finish(new P2PError('PROTOCOL', `unexpected "${msg.t}" during handshake`));
        received = true;
        run(steps.receive(msg));
      };

      if (reads) reads.attach((bytes) => this.onData(bytes));
      else socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => this.close(toP2PError(err, 'PEER_UNREACHABLE')));
      socket.on('close', () => this.close());
      if (socket.destroyed) return this.close(new P2PError('PEER_UNREACHABLE', 'socket already closed'));
      if (this.role === 'dialer') run(steps.open());
    });
  }

  /**
   * Starts delivering messages that are not answers to our requests. Messages that arrived
   * between the handshake and this call were queued, so none is lost to the race.
   */
  setHandler(handler: MessageHandler): void {
    this.handler = handler;
    const queued = this.backlog.splice(0);
    for (const incoming of queued) {
      if (!this.isOpen) return;
      handler(incoming, this);
    }
  }

  /**
   * Closes after `idleMs` without incoming bytes or answers the peer took. Not
   * socket.setTimeout(): that also counts our own writes, so a peer that keeps pinging a hung
   * neighbour would never notice it is gone. Answers count, once the kernel has taken them: a
   * holder pacing chunks under its upload cap gets no new request from a getter whose window
   * is full, yet the link is busy; a peer that stops reading stops taking them.
   */
  private watchIdle(idleMs: number): void {
    if (idleMs <= 0) return;
    this.idleTimer = setInterval(
      () => {
        if (Date.now() - Math.max(this.lastReceived, this.lastAnswered) > idleMs)
          this.close(new P2PError('PEER_UNREACHABLE', `no traffic for ${idleMs} ms`));
      },
      Math.max(10, Math.floor(idleMs / 4)),
    );
  }

  /** A block of this link's peer (by id or key) made while it is open closes it at once. */
  private watchBlocks(security: ChannelSecurity): void {
    if (security.plaintextBenchOnly) return;
    const onBlocked = (blocked: BlockedPeer): void => {
      const byId = blocked.id !== undefined && blocked.id === this.remoteId;
      if (!byId && !blocked.fingerprints.includes(this.remoteFingerprint)) return;
      // by id: its key too, so it cannot come back under another id
      if (byId) security.trust.denyList.add(undefined, [this.remoteFingerprint]);
      this.close(new P2PError('BLOCKED', `peer "${this.remoteId}" was blocked`), true);
    };
    security.trust.on('blocked', onBlocked);
    this.once('close', () => security.trust.off('blocked', onBlocked));
  }

  private onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    this.lastReceived = Date.now();
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      return this.close(toP2PError(err, 'PROTOCOL'), true);
    }
    for (const frame of frames) {
      if (!this.isOpen) return;
      if (frame.skipped) continue; // a late answer (see admit)
      this.dispatch({ msg: frame.message, payload: frame.payload });
    }
  }

  /**
   * The one door, as soon as a frame's header is in: the message table checks it, and only an
   * answer to a request still waiting here gets memory for its payload. Any other payload is
   * read past: a late answer to a request that timed out is dropped as before, and a peer that
   * announces a megabyte it was never asked for costs us nothing.
   */
  private admit(header: unknown, payloadLength: number): { message: AnyMessage; payload: Buffer | null } {
    const message = decodeMessage(header, { length: payloadLength });
    if (payloadLength === 0) return { message, payload: EMPTY };
    const expected = this.handshakeDone && message.re !== undefined && this.pending.has(message.re);
    return { message, payload: expected ? payloadBuffer(payloadLength) : null };
  }

  private dispatch(incoming: Incoming): void {
    const { msg } = incoming;
    if (!this.handshakeDone) {
      this.handshakeStep?.(msg);
      return;
    }
    if (msg.t === 'hello') return this.close(new P2PError('PROTOCOL', 'unexpected "hello"'), true);
    if (SENDER_NAMED.has(msg.t) && (msg as { id: string }).id !== this.remoteId) {
      const claimed = (msg as { id: string }).id;
      const err = new P2PError(
        'ID_MISMATCH',
        `"${msg.t}" names "${claimed}", but this link's key is "${this.remoteId}"'s`,
      );
      return this.close(err, true);
    }
    // An error that answers no request is the remote's reason for hanging up: keep its code.
    if (msg.t === 'error' && msg.re === undefined)
      return this.close(new P2PError(asErrorCode(msg.code), `closed by remote: ${msg.message}`));
    if (msg.re !== undefined) {
      const pending = this.pending.get(msg.re);
      if (!pending) return; // a late answer to a request that already timed out
      this.pending.delete(msg.re);
      pending.cleanup();
      if (msg.t === 'error') pending.reject(new P2PError(asErrorCode(msg.code), msg.message));
      else pending.resolve(incoming);
      return;
    }
    if (this.handler) this.handler(incoming, this);
    else if (this.backlog.length < 64) this.backlog.push(incoming);
    else this.close(new P2PError('PROTOCOL', 'too many unhandled messages'), true);
  }

  /**
   * Writes one frame; resolves when the socket can take more (backpressure). A payload with
   * headroom (a holder's chunk) goes out with its prefix as one buffer, after the previous such
   * frame has drained: a TLS socket joins the writes queued in it into one copy before encrypting.
   */
  send(msg: AnyMessage, payload: Buffer = EMPTY, onPayloadReleased?: () => void): Promise<void> {
    if (!hasHeadroom(payload)) return this.sendNow(msg, payload, onPayloadReleased);
    const turn = this.framedTail.then(() => this.sendNow(msg, payload, onPayloadReleased));
    this.framedTail = turn.catch(() => undefined);
    return turn;
  }

  private sendNow(msg: AnyMessage, payload: Buffer, onPayloadReleased?: () => void): Promise<void> {
    if (!this.isOpen) {
      onPayloadReleased?.();
      return Promise.reject(this.closedError());
    }
    let flushed: boolean;
    try {
      flushed = this.write(msg, payload, onPayloadReleased);
    } catch (err) {
      return Promise.reject(toP2PError(err, 'PROTOCOL'));
    }
    if (flushed) return Promise.resolve();
    if (this.socket.writableLength > this.maxQueuedBytes) {
      const err = new P2PError(
        'PEER_UNREACHABLE',
        `the remote is not reading: over ${this.maxQueuedBytes} bytes queued for it`,
      );
      this.close(err);
      return Promise.reject(err);
    }
    // One shared wait per full buffer, however many senders are queued behind it.
    this.drained ??= new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.off('close', onClose);
        this.drained = undefined;
        resolve();
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        this.drained = undefined;
        reject(this.closedError());
      };
      this.socket.once('drain', onDrain);
      this.once('close', onClose);
    });
    return this.drained;
  }

  /** Sends a request and waits for the message whose `re` matches its `rid`. */
  request(msg: AnyMessage, options: RequestOptions = {}): Promise<Incoming> {
    if (!this.isOpen) return Promise.reject(this.closedError());
    const rid = this.nextRid;
    this.nextRid = this.nextRid >= 0xfffffff0 ? 1 : this.nextRid + 1;
    return new Promise<Incoming>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(new P2PError('CANCELLED', 'request cancelled'));
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
      const expire = (): void => {
        const quietMs = Date.now() - this.lastReceived;
        if (options.timeoutFromLastTraffic && quietMs < timeoutMs) timer = setTimeout(expire, timeoutMs - quietMs);
        else fail(new P2PError('PEER_UNREACHABLE', `no answer to "${msg.t}" within ${timeoutMs} ms`));
      };
      let timer = setTimeout(expire, timeoutMs);
      const onAbort = (): void => fail(new P2PError('CANCELLED', 'request cancelled'));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: P2PError): void => {
        if (this.pending.delete(rid)) cleanup();
        reject(err);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(rid, { resolve, reject, cleanup });
      this.send({ ...msg, rid }, options.payload).catch((err: unknown) => fail(toP2PError(err, 'PEER_UNREACHABLE')));
    });
  }

  /**
   * Answers a request. `onPayloadReleased` runs once the socket no longer needs the payload
   * (its bytes are in the kernel, or the connection died), so the caller may reuse the buffer.
   */
  reply(to: Incoming, msg: AnyMessage, payload?: Buffer, onPayloadReleased?: () => void): Promise<void> {
    return this.send({ ...msg, re: to.msg.rid }, payload, onPayloadReleased).then(() => {
      this.lastAnswered = Date.now();
    });
  }

  replyError(to: Incoming, err: unknown): Promise<void> {
    const e = toP2PError(err);
    return this.send({ t: 'error', code: e.code, message: e.message.slice(0, 4000), re: to.msg.rid });
  }

  /**
   * Closes the connection once. With `notify`, a final `error` frame tells the remote why
   * (best effort) before the socket ends.
   */
  close(err?: P2PError, notify = false): void {
    if (!this.isOpen) return;
    this.closedWith = err;
    for (const [rid, pending] of this.pending) {
      this.pending.delete(rid);
      pending.cleanup();
      pending.reject(err ?? new P2PError('PEER_UNREACHABLE', 'connection closed'));
    }
    const socket = this.socket;
    clearInterval(this.idleTimer);
    if (notify && err && !socket.destroyed) {
      try {
        this.write({ t: 'error', code: err.code, message: err.message.slice(0, 4000) });
      } catch {
        // nothing more to say
      }
      socket.end();
      const linger = setTimeout(() => socket.destroy(), 500);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    } else {
      socket.destroy();
    }
    this.emit('close', err);
  }

  /** Polite close: tells the remote we are leaving, then closes. */
  async goodbye(reason?: string): Promise<void> {
    if (!this.isOpen) return;
    try {
      await Promise.race([this.send({ t: 'goodbye', reason }), sleep(200, undefined, { ref: false })]);
    } catch {
      // closing anyway
    }
    this.close();
  }

  private write(msg: AnyMessage, payload: Buffer = EMPTY, onPayloadReleased?: () => void): boolean {
    const prefix = encodeFramePrefix({ v: PROTOCOL_VERSION, ...msg }, payload.length);
    if (payload.length === 0) return this.socket.write(prefix);
    const frame = framed(prefix, payload);
    if (frame) return this.socket.write(frame, onPayloadReleased);
    this.socket.cork();
    this.socket.write(prefix);
    // the callback runs when the write is done with the buffer, flushed or failed
    const ok = this.socket.write(payload, onPayloadReleased);
    this.socket.uncork();
    return ok;
  }

  private closedError(): P2PError {
    return this.closedWith ?? new P2PError('PEER_UNREACHABLE', 'connection closed');
  }
}

function asErrorCode(code: string): ErrorCode {
  return isErrorCode(code) ? code : 'PROTOCOL';
}

export type { Message };
