// The metaserver's relay: a second TCP port on its host where the two ends of a circuit meet.
// The metaserver hands each end a one-time token over that end's own authenticated connection
// (relay-ticket to the dialer, relay-open to the relayed peer); each end connects here and
// shows its token (relay-preamble.ts); once both are in, the two sockets are spliced
// (relay-circuit.ts). Only network members get tokens, and the relay never holds a key that
// could read what it carries.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Address, RelayCircuitEvent } from '../events';
import { UploadLimiter } from '../transfer/upload-limiter';
import { P2PError, toP2PError } from '../wire';
import { RelayCircuit, type CircuitEnd } from './relay-circuit';
import { newRelayToken, readPreamble } from './relay-preamble';

export interface RelayLimits {
  /** `--relay-rate`: bytes per second carried by all circuits together (default: no cap). */
  rateBytesPerSecond?: number;
  /** Bytes one circuit may carry, both ways together (default 4 GiB). */
  maxBytesPerCircuit?: number;
  /** Circuits a peer may take part in at once, as either end (default 16). */
  maxCircuitsPerPeer?: number;
  /** Circuits at once in all (default 256). */
  maxCircuits?: number;
  /** A circuit with no byte either way for this long is dropped (default 60 s). */
  idleMs?: number;
  /** How long a circuit waits for both ends to connect (default 10 s). */
  pairTimeoutMs?: number;
}

export interface RelayTickets {
  dialerToken: string;
  targetToken: string;
}

/** What the relay has carried: for the bench and for tests. */
export interface RelayStats {
  circuitsOpened: number;
  circuitsOpen: number;
  bytesCarried: number;
  ended: Record<CircuitEnd | 'unpaired', number>;
}

interface PendingCircuit {
  peers: [string, string];
  tokens: [string, string];
  sockets: [net.Socket | undefined, net.Socket | undefined];
  timer: NodeJS.Timeout;
  circuit?: RelayCircuit;
}

const DEFAULTS = {
  maxBytesPerCircuit: 4 * 1024 ** 3,
  maxCircuitsPerPeer: 16,
  maxCircuits: 256,
  idleMs: 60_000,
  pairTimeoutMs: 10_000,
};

export interface RelayHubEvents {
  /** Each circuit as it ends, with the relay's counters after it. */
  'circuit-end': [RelayCircuitEvent];
}

export class RelayHub extends EventEmitter<RelayHubEvents> {
  // half-open: one end of a circuit may stop writing (moving to a direct path) while the other still sends
  private readonly server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  private readonly limits: Required<Omit<RelayLimits, 'rateBytesPerSecond'>>;
  private readonly limiter: UploadLimiter | undefined;
  /** Every circuit not yet ended, by each of its two tokens. */
  private readonly byToken = new Map<string, PendingCircuit>();
  private readonly circuits = new Set<PendingCircuit>();
  private readonly sockets = new Set<net.Socket>();
  private bound: Address | undefined;
  readonly stats: RelayStats = {
    circuitsOpened: 0,
    circuitsOpen: 0,
    bytesCarried: 0,
    ended: { capped: 0, idle: 0, closed: 0, unpaired: 0 },
  };

  constructor(limits: RelayLimits = {}) {
    super();
    this.limits = { ...DEFAULTS, ...withoutUndefined(limits) };
    this.limiter = UploadLimiter.forCap(limits.rateBytesPerSecond);
    this.server.maxConnections = this.limits.maxCircuits * 2 + 64;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(host: string, port = 0): Promise<Address> {
    return new Promise<Address>((resolve, reject) => {
      const onError = (err: Error): void => reject(toP2PError(err));
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.bound = { host, port: (this.server.address() as net.AddressInfo).port };
        resolve(this.bound);
      });
    });
  }

  get port(): number {
    if (!this.bound) throw new Error('RelayHub is not listening');
    return this.bound.port;
  }

  /** A new circuit from `dialer` to `target`; throws RATE_LIMITED past a cap. */
  open(dialer: string, target: string): RelayTickets {
    if (this.circuits.size >= this.limits.maxCircuits)
      throw new P2PError('RATE_LIMITED', `the relay carries its maximum of ${this.limits.maxCircuits} circuits`);
    for (const id of [dialer, target]) {
      if (this.circuitsOf(id) >= this.limits.maxCircuitsPerPeer)
        throw new P2PError('RATE_LIMITED', `"${id}" has ${this.limits.maxCircuitsPerPeer} relayed circuits already`);
    }
    const pending: PendingCircuit = {
      peers: [dialer, target],
      tokens: [newRelayToken(), newRelayToken()],
      sockets: [undefined, undefined],
      timer: setTimeout(() => this.drop(pending, 'unpaired'), this.limits.pairTimeoutMs),
    };
    pending.timer.unref();
    for (const token of pending.tokens) this.byToken.set(token, pending);
    this.circuits.add(pending);
    this.stats.circuitsOpened++;
    this.stats.circuitsOpen = this.circuits.size;
    return { dialerToken: pending.tokens[0], targetToken: pending.tokens[1] };
  }

  /**
   * The target's token of the open circuit from `dialer` to `target` whose dialer token is
   * `dialerToken` (a punch moves that circuit); PEER_UNREACHABLE when there is none.
   */
  otherEnd(dialerToken: string, dialer: string, target: string): string {
    for (const pending of this.circuits) {
      const [d, t] = pending.peers;
      if (d === dialer && t === target && pending.tokens[0] === dialerToken) return pending.tokens[1];
    }
    throw new P2PError('PEER_UNREACHABLE', `no relayed circuit from "${dialer}" to "${target}" with that token`);
  }

  /** Drops every circuit `id` takes part in (it left the network). */
  forget(id: string): void {
    for (const pending of [...this.circuits]) if (pending.peers.includes(id)) this.drop(pending, 'closed');
  }

  async close(): Promise<void> {
    for (const pending of [...this.circuits]) this.drop(pending, 'closed');
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private circuitsOf(id: string): number {
    let count = 0;
    for (const pending of this.circuits) if (pending.peers.includes(id)) count++;
    return count;
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    readPreamble(socket, this.limits.pairTimeoutMs).then(
      (token) => this.pair(socket, token),
      () => socket.destroy(),
    );
  }

  /** Seats `socket` as the end `token` names; splices once both ends are seated. A token works once. */
  private pair(socket: net.Socket, token: string): void {
    const pending = this.byToken.get(token);
    if (!pending || socket.destroyed) return void socket.destroy();
    this.byToken.delete(token);
    const end = pending.tokens.indexOf(token) as 0 | 1;
    pending.sockets[end] = socket;
    const [a, b] = pending.sockets;
    if (!a || !b) return;
    clearTimeout(pending.timer);
    pending.circuit = new RelayCircuit(
      a,
      b,
      { maxBytes: this.limits.maxBytesPerCircuit, idleMs: this.limits.idleMs, limiter: this.limiter },
      (_, why) => this.drop(pending, why),
    );
  }

  private drop(pending: PendingCircuit, why: CircuitEnd | 'unpaired'): void {
    if (!this.circuits.delete(pending)) return;
    clearTimeout(pending.timer);
    for (const token of pending.tokens) this.byToken.delete(token);
    for (const socket of pending.sockets) socket?.destroy();
    pending.circuit?.close(why === 'unpaired' ? 'closed' : why);
    const bytes = pending.circuit?.bytes ?? 0;
    this.stats.bytesCarried += bytes;
    this.stats.ended[why]++;
    this.stats.circuitsOpen = this.circuits.size;
    const [dialer, target] = pending.peers;
    const { circuitsOpen, bytesCarried } = this.stats;
    this.emit('circuit-end', { event: 'relay-circuit', dialer, target, bytes, ended: why, circuitsOpen, bytesCarried });
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
