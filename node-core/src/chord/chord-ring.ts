// A peer's membership of the Chord ring: listening socket + outgoing transport + ChordNode +
// the maintenance timers, started and stopped as one. Files ride on top (key-replicator.ts);
// the CLI peer (chord-peer.ts) adds the metaserver and stdin commands.
import { advertisedHost } from '../advertised-host';
import type { Connection, Incoming, LinkCredentials } from '../wire/connection';
import type { TopologyEvent } from '../events';
import type { TopologyPeer } from '../topology';
import { ChordNode, DEFAULT_NODE_OPTIONS, type ChordNodeOptions } from './chord-node';
import { idToHex, nodeIdOf } from './id';
import type { Duplex } from 'node:stream';
import { WireServer } from '../wire/server';
import { ephemeralSecurity } from '../wire/secure-channel';
import { P2PError } from '../wire/errors';
import { DEFAULT_TIMINGS, PeriodicTasks, type ChordTimings } from './maintenance';
import { toNodeRef, type ChordContact } from './remote';
import { handleChordMessage } from './request-handler';
import { RingMerger } from './ring-merge';
import { WireChordTransport } from './wire-transport';
import type { LookupResult } from './lookup';

export interface ChordRingOptions extends LinkCredentials {
  id: string;
  host: string;
  /** The host other nodes are told to dial (default: host; see advertised-host.ts). */
  advertise?: string;
  port: number;
  timings?: Partial<ChordTimings>;
  node?: Partial<ChordNodeOptions>;
  maxConnections?: number;
  /** Messages chord does not handle (file transfer) go here; false means "not mine either". */
  fallbackRouter?: (conn: Connection, incoming: Incoming) => boolean;
  /** Maintenance failures worth a log line. */
  onError?: (task: string, err: unknown) => void;
  /** The path to a ring link's peer (successor, predecessor) may have changed: through a relay or direct. */
  onLinkPath?: () => void;
}

export class ChordRing {
  readonly node: ChordNode;
  private readonly merger: RingMerger;
  private readonly tasks: PeriodicTasks;
  private running = false;
  private closed = false;

  private constructor(
    private readonly server: WireServer,
    private readonly transport: WireChordTransport,
    self: ChordContact,
    options: ChordRingOptions,
    private readonly timings: ChordTimings,
    nodeOptions: ChordNodeOptions,
    routerHolder: { node?: ChordNode },
  ) {
    this.node = new ChordNode(self, transport, nodeOptions);
    routerHolder.node = this.node;
    this.merger = new RingMerger(this.node, options.onError);
    this.tasks = new PeriodicTasks(options.onError);
  }

  /** Binds the listening socket; the node id follows from the port the OS gave. */
  static async start(options: ChordRingOptions): Promise<ChordRing> {
    const holder: { node?: ChordNode } = {};
    const abort = new AbortController();
    const security = options.security ?? ephemeralSecurity(options.id);
    const server = new WireServer({ key: options.key, security, idleTimeoutMs: 60_000 });
    server.on('connection', (conn) =>
      conn.setHandler((incoming, c) => {
        const handled =
          (holder.node !== undefined && handleChordMessage(c, incoming, holder.node, abort.signal)) ||
          (options.fallbackRouter?.(c, incoming) ?? false);
        // Requests nobody here serves are refused; stray one-way messages (ping, goodbye) are fine.
        if (!handled && incoming.msg.rid !== undefined) {
          c.replyError(incoming, new P2PError('PROTOCOL', `"${incoming.msg.t}" is not served by a chord peer`)).catch(
            () => undefined,
          );
        }
      }),
    );
    const bound = await server.listen(options.host, options.port);
    // the node id hashes the address others dial, as they compute it from what we announce
    const host = advertisedHost(options.host, options.advertise);
    const self: ChordContact = { id: options.id, host, port: bound.port, nodeId: nodeIdOf(host, bound.port) };
    const transport = new WireChordTransport({
      key: options.key,
      security,
      relay: options.relay,
      maxConnections: options.maxConnections,
      onPath: (peer) => {
        if (holder.node && ringLinks(holder.node).some((p) => p.nodeId === peer.nodeId)) options.onLinkPath?.();
      },
    });
    const ring = new ChordRing(
      server,
      transport,
      self,
      options,
      { ...DEFAULT_TIMINGS, ...options.timings },
      { ...DEFAULT_NODE_OPTIONS, ...options.node },
      holder,
    );
    ring.node.signal.addEventListener('abort', () => abort.abort(), { once: true });
    return ring;
  }

  get self(): ChordContact {
    return this.node.self;
  }

  /**
   * Whether others reach this node only through the relay (its registration says so): every
   * contact it sends of itself then carries `relayed`, so nodes that learn it from the ring dial
   * it through the relay at once instead of timing out at its announced address first.
   */
  markRelayed(relayed: boolean): void {
    if (relayed) this.node.self.relayed = true;
    else delete this.node.self.relayed;
  }

  /** An inbound link on a stream this node opened itself (the relayed end of a circuit, relay/). */
  adopt(stream: Duplex): void {
    this.server.adopt(stream);
  }

  /** Starts a new ring (no bootstrap) or joins the ring `bootstrap` is on, then runs maintenance. */
  async begin(bootstrap?: { host: string; port: number; id?: string }): Promise<void> {
    if (bootstrap) {
      await this.node.join({
        id: bootstrap.id ?? '', // unknown until it answers: any id may answer at a bare --join address
        host: bootstrap.host,
        port: bootstrap.port,
        nodeId: nodeIdOf(bootstrap.host, bootstrap.port),
      });
    }
    this.startMaintenance();
  }

  startMaintenance(): void {
    if (this.running || this.closed) return;
    this.running = true;
    const t = this.timings;
    this.tasks.every('stabilize', t.stabilizeMs, () => this.node.stabilize());
    this.tasks.every('fix-fingers', t.fixFingersMs, () => this.node.fixNextFinger());
    this.tasks.every('check-predecessor', t.checkPredecessorMs, () => this.node.checkPredecessor());
  }

  /** Extra periodic work on the same timer set (key replication), cleared by close(). */
  every(name: string, intervalMs: number, task: () => Promise<void>): void {
    this.tasks.every(name, intervalMs, task);
  }

  get replicateMs(): number {
    return this.timings.replicateMs;
  }

  /**
   * A node we learned of after joining (a referral, a remembered contact): if it is on another
   * ring, the two merge (ring-merge.ts). Resolves whether our successor changed.
   */
  meet(contact: { host: string; port: number; id?: string }): Promise<boolean> {
    const nodeId = nodeIdOf(contact.host, contact.port);
    return this.merger.meet({ id: contact.id ?? 'contact', host: contact.host, port: contact.port, nodeId });
  }

  lookup(key: bigint, signal?: AbortSignal): Promise<LookupResult> {
    return this.node.lookup(key, signal);
  }

  topologyEvent(): TopologyEvent {
    const n = this.node;
    const neighbors = ringLinks(n).map((p) => ({ id: p.id, host: p.host, port: p.port }));
    return {
      event: 'topology',
      neighbors,
      predecessor: n.predecessor ? toNodeRef(n.predecessor) : null,
      successors: n.successors.all().map(toNodeRef),
      fingers: n.fingers.distinct().map((f) => ({ start: idToHex(f.start), node: toNodeRef(f.node) })),
    };
  }

  /**
   * What the metaserver draws: links = successor + predecessor, `relayed` those this node reaches
   * through a relay now (requests go out on the connections it dials); the ring view in `chord`.
   */
  topologyView(): { neighbors: string[]; relayed: string[]; chord: NonNullable<TopologyPeer['chord']> } {
    const n = this.node;
    const links = ringLinks(n);
    return {
      neighbors: links.map((p) => p.id),
      relayed: links.filter((p) => this.transport.relayed(p)).map((p) => p.id),
      chord: {
        nodeId: idToHex(n.self.nodeId),
        predecessor: n.predecessor?.id ?? null,
        successors: n.successors.all().map((p) => p.id),
        fingers: [...new Set(n.fingers.distinct().map((f) => f.node.id))],
      },
    };
  }

  /** Graceful: stop timers, tell neighbours to link around us, close everything. */
  async leave(): Promise<void> {
    if (this.closed) return;
    this.tasks.close();
    await this.node.announceLeave();
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tasks.close();
    this.merger.close();
    this.node.close();
    await Promise.all([this.transport.close(), this.server.close()]);
  }

  /** Test hook: die abruptly — no goodbye, no hand-off, every socket destroyed. */
  async crash(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tasks.close();
    this.merger.close();
    this.node.close();
    this.transport.destroyAll();
    await this.server.close();
  }
}

/** A node's ring links: its successor and its predecessor (one link when they are the same node). */
function ringLinks(n: ChordNode): ChordContact[] {
  const out: ChordContact[] = [];
  if (!n.successors.isEmpty()) out.push(n.successor);
  if (n.predecessor && !out.some((p) => p.nodeId === n.predecessor?.nodeId)) out.push(n.predecessor);
  return out;
}
