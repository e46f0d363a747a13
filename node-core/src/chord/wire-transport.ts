// ChordTransport over the shared wire protocol: one dialed Connection per remote node, reused
// for every RPC, kept in a small LRU so a large ring does not hold a socket to every node it
// ever looked up through (iterative lookups talk to many nodes).
import type { Connection, Incoming, LinkCredentials } from '../wire/connection';
import { dial } from '../wire/server';
import { P2PError } from '../wire/errors';
import type { AnyMessage } from '../wire/messages';
import type { ChordNodeRef } from '../events';
import { idToHex } from './id';
import { untilAborted } from './until-aborted';
import {
  fromNodeRef,
  fromVersionRef,
  toNodeRef,
  toVersionRef,
  type ChordContact,
  type FileVersion,
  type ChordRemote,
  type ChordTransport,
  type LookupStep,
  type MergeHint,
  type NeighborState,
  type VersionClaim,
  type VersionId,
} from './remote';

/**
 * Below the chord RPC deadline (3 s): a direct dial that hangs (a NAT that drops or holds the
 * connection) must fail early enough for the relay fallback to finish within the same RPC.
 */
const CONNECT_TIMEOUT_MS = 2000;

export interface WireTransportOptions extends LinkCredentials {
  /** Cached outgoing connections kept open at most (least recently used closed first). */
  maxConnections?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** A connection to `peer` came up, moved off its relay, or closed: the path to it may have changed. */
  onPath?: (peer: ChordContact) => void;
}

export class WireChordTransport implements ChordTransport {
  private readonly connections = new Map<string, Promise<Connection>>();
  /** The connections of `connections` that are up, by the same key. */
  private readonly open = new Map<string, Connection>();
  /**
   * Ends the dials in progress when the transport closes. A dial is shared by every caller that
   * needs the node meanwhile, so no caller's own signal may end it: each only stops waiting.
   */
  private readonly closing = new AbortController();
  private closed = false;

  constructor(private readonly options: WireTransportOptions = {}) {}

  remote(peer: ChordContact): ChordRemote {
    return new WireChordRemote(peer, (signal) => this.connection(peer, signal));
  }

  /**
   * Whether the way to `peer` runs through a relay now: its open connection's path, or without
   * one, how the next dial would go.
   */
  relayed(peer: ChordContact): boolean {
    const conn = this.open.get(addressKey(peer));
    if (conn) return conn.relayed;
    const { id, host, port, relayed } = peer;
    return id !== '' && (this.options.relay?.prefers({ id, host, port, relayed }) ?? false);
  }

  forget(peer: ChordContact): void {
    const key = addressKey(peer);
    const pending = this.connections.get(key);
    if (!pending) return;
    this.connections.delete(key);
    pending.then(
      (c) => c.close(),
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort(new P2PError('CANCELLED', 'transport closed'));
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (c) => c.close(),
          () => undefined,
        ),
      ),
    );
  }

  /** Test hook (crash): drop every socket at once, no goodbye. */
  destroyAll(): void {
    this.closed = true;
    this.closing.abort(new P2PError('CANCELLED', 'transport closed'));
    for (const p of this.connections.values())
      p.then(
        (c) => c.close(),
        () => undefined,
      );
    this.connections.clear();
  }

  private connection(peer: ChordContact, signal: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.reject(new P2PError('CANCELLED', 'transport closed'));
    const key = addressKey(peer);
    const cached = this.connections.get(key);
    if (cached) {
      // Re-insert: Map iteration order is the LRU order.
      this.connections.delete(key);
      this.connections.set(key, cached);
      return untilAborted(cached, signal);
    }
    const opening = this.dial(peer);
    this.connections.set(key, opening);
    opening.then(
      (conn) => {
        this.watchPath(key, peer, conn);
        conn.once('close', () => {
          if (this.connections.get(key) === opening) this.connections.delete(key);
        });
        if (this.closed) conn.close();
      },
      () => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      },
    );
    this.evictBeyondCapacity();
    return untilAborted(opening, signal);
  }

  /** Keeps `open` in step with the connection's life and tells `onPath` each time its path may change. */
  private watchPath(key: string, peer: ChordContact, conn: Connection): void {
    const notify = (): void => {
      if (!this.closed) this.options.onPath?.(peer);
    };
    if (!conn.isOpen) return;
    this.open.set(key, conn);
    conn.once('moved', notify);
    conn.once('close', () => {
      if (this.open.get(key) === conn) this.open.delete(key);
      notify();
    });
    notify();
  }

  private evictBeyondCapacity(): void {
    const max = this.options.maxConnections ?? 32;
    for (const [key, pending] of this.connections) {
      if (this.connections.size <= max) break;
      this.connections.delete(key);
      // Let requests in flight on it finish; idle ones just close.
      pending.then(
        (c) => setTimeout(() => c.close(), 2000).unref(),
        () => undefined,
      );
    }
  }

  private dial(peer: ChordContact): Promise<Connection> {
    return dial(peer, {
      key: this.options.key,
      security: this.options.security,
      relay: this.options.relay,
      expectId: peer.id || undefined,
      signal: this.closing.signal,
      connectTimeoutMs: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 30_000,
    }).then((conn) => {
      // Nothing but answers is expected on a connection we dialed.
      conn.setHandler((incoming, c) => {
        if (incoming.msg.rid !== undefined)
          c.replyError(incoming, new P2PError('PROTOCOL', 'requests go to the listening port')).catch(() => undefined);
      });
      return conn;
    });
  }
}

/**
 * A connection is shared only by contacts naming the same id at the same address: a liar's contact
 * pairing another id with an address gets a dial of its own, which cannot fail the true one's.
 */
function addressKey(peer: ChordContact): string {
  return `${peer.id}@${peer.host}:${peer.port}`;
}

class WireChordRemote implements ChordRemote {
  constructor(
    readonly peer: ChordContact,
    private readonly connection: (signal: AbortSignal) => Promise<Connection>,
  ) {}

  async lookupStep(key: bigint, avoid: readonly ChordContact[], signal: AbortSignal): Promise<LookupStep> {
    const { msg } = await this.request(
      { t: 'chord-step', key: idToHex(key), avoid: avoid.length > 0 ? avoid.map(toNodeRef) : undefined },
      signal,
    );
    if (msg.t !== 'chord-step-result') throw unexpected(msg);
    if (msg.owner) return { owner: fromNodeRef(msg.owner) };
    return { next: (msg.next ?? []).map(fromNodeRef) };
  }

  async getNeighbors(signal: AbortSignal): Promise<NeighborState> {
    const { msg } = await this.request({ t: 'chord-neighbors-get' }, signal);
    if (msg.t !== 'chord-neighbors') throw unexpected(msg);
    return {
      predecessor: msg.predecessor ? fromNodeRef(msg.predecessor) : null,
      successors: msg.successors.map(fromNodeRef),
    };
  }

  async notify(self: ChordContact, signal: AbortSignal): Promise<void> {
    await this.expectOk({ t: 'chord-notify', node: toNodeRef(self) }, signal);
  }

  async successorHint(self: ChordContact, signal: AbortSignal): Promise<void> {
    await this.expectOk({ t: 'chord-successor-hint', node: toNodeRef(self) }, signal);
  }

  async ping(signal: AbortSignal): Promise<void> {
    await this.expectOk({ t: 'chord-ping' }, signal);
  }

  async leaving(self: ChordContact, heir: NeighborState, signal: AbortSignal): Promise<void> {
    const predecessor: ChordNodeRef | undefined = heir.predecessor ? toNodeRef(heir.predecessor) : undefined;
    await this.expectOk(
      { t: 'chord-leaving', node: toNodeRef(self), successors: heir.successors.map(toNodeRef), predecessor },
      signal,
    );
  }

  async offerFiles(source: ChordContact, names: string[], signal: AbortSignal): Promise<void> {
    await this.expectOk({ t: 'chord-hold', source: toNodeRef(source), names }, signal);
  }

  async mergeHint(hint: MergeHint, signal: AbortSignal): Promise<void> {
    await this.expectOk(
      { t: 'chord-merge', origin: toNodeRef(hint.origin), contacts: hint.contacts.map(toNodeRef), ttl: hint.ttl },
      signal,
    );
  }

  async publishVersion(name: string, claim: VersionClaim, holder: ChordContact, signal: AbortSignal): Promise<void> {
    const { size, root } = claim;
    await this.expectOk({ t: 'chord-publish', name, size, root, holder: toNodeRef(holder) }, signal);
  }

  async withdrawVersion(name: string, version: VersionId, holder: ChordContact, signal: AbortSignal): Promise<void> {
    await this.expectOk({ t: 'chord-withdraw', name, root: version.root, holder: toNodeRef(holder) }, signal);
  }

  async versionsOf(name: string, signal: AbortSignal): Promise<FileVersion[]> {
    const { msg } = await this.request({ t: 'chord-versions-get', name }, signal);
    if (msg.t !== 'chord-versions' || msg.name !== name) throw unexpected(msg);
    return msg.versions.map(fromVersionRef);
  }

  async putVersions(name: string, versions: readonly FileVersion[], signal: AbortSignal): Promise<void> {
    await this.expectOk({ t: 'chord-versions-put', name, versions: versions.map(toVersionRef) }, signal);
  }

  private async expectOk(msg: AnyMessage, signal: AbortSignal): Promise<void> {
    const { msg: answer } = await this.request(msg, signal);
    if (answer.t !== 'ok') throw unexpected(answer);
  }

  private async request(msg: AnyMessage, signal: AbortSignal): Promise<Incoming> {
    const conn = await this.connection(signal);
    // The caller's signal carries the deadline; the connection's own timeout is only a backstop.
    return conn.request(msg, { signal, timeoutMs: 10 * 60_000 });
  }
}

function unexpected(msg: AnyMessage): P2PError {
  return new P2PError('PROTOCOL', `unexpected answer "${msg.t}"`);
}
