// One node of the Chord ring: its routing state (predecessor, successor list, fingers), the
// answers it gives to other nodes, and the protocol steps of the paper — join, stabilize,
// notify, fix_fingers, check_predecessor — plus graceful leave. No sockets here: every call to
// another node goes through a ChordTransport, and timers live in maintenance.ts. The rules that
// stand alone live apart: lookup-step.ts, successor-upkeep.ts, finger-upkeep.ts, neighbor-liveness.ts.
import { EventEmitter } from 'node:events';
import { P2PError } from '../wire/errors';
import { inOpen } from './id';
import { FingerTable } from './finger-table';
import { fixAllFingers, fixNextFinger } from './finger-upkeep';
import { SuccessorList } from './successor-list';
import { iterativeLookup, rpcWithTimeout, type LookupContext, type LookupResult } from './lookup';
import { knowsNoOtherNode, lookupStepFrom, ownsKey, type RoutingState } from './lookup-step';
import { NeighborTimeouts, retrying, whileSlow, whileUnsure } from './neighbor-liveness';
import {
  samePeer,
  type ChordContact,
  type ChordRemote,
  type ChordService,
  type ChordTransport,
  type LookupStep,
  type MergeHint,
  type NeighborState,
  type VersionService,
} from './remote';
import {
  autoSuccessorCount,
  closestKnown,
  MIN_SUCCESSORS,
  walkBackToSuccessor,
  type FoundSuccessor,
} from './successor-upkeep';

export interface ChordNodeOptions {
  /**
   * Length of the successor list; replicas live on its first entries. 'auto': about log2 N
   * (N estimated from the list itself), never under MIN_SUCCESSORS.
   */
  successorListLength: number | 'auto';
  /** Per-RPC timeout. */
  rpcTimeoutMs: number;
}

export const DEFAULT_NODE_OPTIONS: ChordNodeOptions = { successorListLength: 'auto', rpcTimeoutMs: 3000 };

/** Receives files other nodes offer (replication, hand-over); implemented by the chord peer. */
export type FileOfferHandler = (source: ChordContact, names: string[], signal: AbortSignal) => Promise<void>;

interface ChordNodeEvents {
  /** Predecessor or first successor changed: the topology report and neighbour events follow this. */
  'ring-changed': [];
  /** A new predecessor took over part of this node's key range: hand those keys over. */
  'predecessor-changed': [predecessor: ChordContact | null, previous: ChordContact | null];
}

const NO_NODES: ReadonlySet<bigint> = new Set();

export class ChordNode extends EventEmitter<ChordNodeEvents> implements ChordService {
  readonly fingers: FingerTable;
  readonly successors: SuccessorList;
  private pred: ChordContact | null = null;
  private readonly closing = new AbortController();
  private readonly timeouts = new NeighborTimeouts();
  onFileOffer: FileOfferHandler | undefined;
  /** Receives merge-walk steps other nodes send (ring-merge.ts). */
  onMergeHint: ((hint: MergeHint) => void) | undefined;
  /** Keeps and answers the version records of file names (chord-versions.ts). */
  versionRecords: VersionService | undefined;

  constructor(
    readonly self: ChordContact,
    private readonly transport: ChordTransport,
    readonly options: ChordNodeOptions = DEFAULT_NODE_OPTIONS,
  ) {
    super();
    this.fingers = new FingerTable(self);
    this.successors = new SuccessorList(
      self,
      options.successorListLength === 'auto' ? MIN_SUCCESSORS : options.successorListLength,
    );
  }

  get predecessor(): ChordContact | null {
    return this.pred;
  }

  get successor(): ChordContact {
    return this.successors.first();
  }

  /** Aborted by close(): every RPC this node makes carries it. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /** Is this node responsible for `key` (key in (predecessor, self])? */
  owns(key: bigint): boolean {
    return ownsKey(this.routing(), key);
  }

  /** Knows no other node at all: a ring of one (a node that merely lost its successors is not). */
  isAlone(): boolean {
    return knowsNoOtherNode(this.routing());
  }

  // ---- answers to other nodes (ChordService) ----

  lookupStep(key: bigint, avoid: ReadonlySet<bigint> = NO_NODES): LookupStep {
    return lookupStepFrom(this.routing(), key, avoid);
  }

  getNeighbors(): NeighborState {
    return { predecessor: this.pred, successors: [...this.successors.all()] };
  }

  notify(from: ChordContact): void {
    if (samePeer(from, this.self)) return;
    if (this.successors.isEmpty()) {
      // A lone node learns of its first peer this way (stabilize would otherwise find it only
      // through the predecessor pointer set just below), and is that peer's predecessor too.
      this.successors.insert(from);
      this.emit('ring-changed');
      this.call(from, (r, s) => r.notify(this.self, s)).catch(() => undefined);
    }
    if (!this.pred || inOpen(from.nodeId, this.pred.nodeId, this.self.nodeId)) this.setPredecessor(from);
  }

  successorHint(from: ChordContact): void {
    if (!this.successors.isEmpty()) this.adoptCloserSuccessor(from);
  }

  /**
   * Takes `candidate` as successor if it lies strictly between us and our successor (any other
   * node when we have none): anything else is stale or wrong and stabilize sorts it out.
   */
  adoptCloserSuccessor(candidate: ChordContact): boolean {
    if (samePeer(candidate, this.self)) return false;
    if (!this.successors.isEmpty() && !inOpen(candidate.nodeId, this.self.nodeId, this.successor.nodeId)) return false;
    this.successors.insert(candidate);
    this.fingers.set(0, candidate);
    this.emit('ring-changed');
    // And we are its predecessor: tell it now rather than at our next stabilize.
    this.call(candidate, (r, s) => r.notify(this.self, s)).catch(() => undefined);
    return true;
  }

  mergeHint(hint: MergeHint): void {
    this.onMergeHint?.(hint);
  }

  leaving(from: ChordContact, heir: NeighborState): void {
    if (samePeer(this.pred, from))
      this.setPredecessor(heir.predecessor && !samePeer(heir.predecessor, this.self) ? heir.predecessor : null);
    if (this.successors.all().some((s) => s.nodeId === from.nodeId)) {
      const before = this.successor;
      this.successors.remove(from.nodeId);
      for (const s of heir.successors) this.successors.insert(s);
      if (!samePeer(before, this.successor)) this.emit('ring-changed');
    }
    this.fingers.remove(from.nodeId);
  }

  async offerFiles(source: ChordContact, names: string[], signal: AbortSignal): Promise<void> {
    if (!this.onFileOffer) throw new Error('this node does not store files');
    await this.onFileOffer(source, names, signal);
  }

  // ---- protocol steps ----

  async lookup(key: bigint, signal: AbortSignal = this.signal): Promise<LookupResult> {
    return this.lookupRetryingWhenUnsure(this.lookupContext(), key, AbortSignal.any([signal, this.signal]));
  }

  /**
   * Who owns `key` on the ring `contact` is on, which may not be ours: the lookup starts there,
   * and a route that comes back to us ends here (we are then on that ring too).
   */
  lookupThrough(contact: ChordContact, key: bigint, signal: AbortSignal = this.signal): Promise<LookupResult> {
    let first = true;
    const localStep = (): LookupStep => {
      if (!first) return { owner: this.self };
      first = false;
      return { next: [contact] };
    };
    return iterativeLookup({ ...this.lookupContext(), localStep }, key, AbortSignal.any([signal, this.signal]));
  }

  /**
   * A lookup that would have had to guess past a slow node (LookupUnsureError) is run again —
   * the node may have caught up, or stabilize confirmed it dead — rather than answered
   * wrongly (neighbor-liveness.ts).
   */
  private lookupRetryingWhenUnsure(ctx: LookupContext, key: bigint, signal: AbortSignal): Promise<LookupResult> {
    return retrying(() => iterativeLookup(ctx, key, signal), whileUnsure(signal));
  }

  /**
   * call(), tried again (with backoff) while it only times out: for the messages a join must
   * get through — a slow neighbour that misses them keeps routing our keys past us.
   */
  private callPatiently<T>(
    peer: ChordContact,
    fn: (remote: ChordRemote, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return retrying(() => this.call(peer, fn), whileSlow(this.signal));
  }

  /** Joins the ring `bootstrap` is on: find our successor through it, then tell it about us. */
  async join(bootstrap: ChordContact): Promise<void> {
    let { owner } = await this.lookupRetryingWhenUnsure(
      { ...this.lookupContext(), localStep: () => ({ next: [bootstrap] }) },
      this.self.nodeId,
      this.signal,
    );
    if (samePeer(owner, this.self)) {
      // Our address, so our node id, is on the ring already. Under our own id it is this node's
      // previous run (a restart right after a stop): nobody else can listen on our address, so
      // we join from the bootstrap. Under another id, someone else claims our address.
      if (owner.id !== this.self.id)
        throw new P2PError('DUPLICATE_ID', `a node at ${this.self.host}:${this.self.port} is already on the ring`);
      owner = bootstrap;
    }
    // While the ring is still settling (many joins at once) the lookup may land past our true
    // successor; walking back through predecessors now saves one stabilize round per step.
    const { successor, state } = await this.closestSuccessor(owner);
    this.successors.adopt(successor, state.successors);
    this.fingers.fillFrom(0, successor);
    this.emit('ring-changed');
    // Both neighbours learn about us now, not at their next stabilize: until the predecessor
    // links to us it would answer lookups of our keys with our successor.
    const pred = state.predecessor;
    await Promise.all([
      this.callPatiently(successor, (r, s) => r.notify(this.self, s)).catch(() => undefined),
      pred && !samePeer(pred, this.self)
        ? this.callPatiently(pred, (r, s) => r.successorHint(this.self, s)).catch(() => undefined)
        : undefined,
    ]);
  }

  /** Verifies the successor (skipping dead ones), adopts a closer one if it appeared, notifies it. */
  async stabilize(): Promise<void> {
    const before = this.successor;
    for (;;) {
      const succ = this.successors.isEmpty() ? this.pred : this.successors.first();
      if (!succ) break; // alone on the ring
      let found: FoundSuccessor;
      try {
        found = await this.closestSuccessor(succ);
        this.timeouts.answered(succ);
      } catch (err) {
        // Only slow: keep it and try again next round (a dead one refuses at once).
        if (!this.givesUpOn(succ, err)) break;
        this.suspect(succ);
        if (samePeer(succ, this.pred)) this.setPredecessor(null);
        continue;
      }
      // A joiner may have announced itself (successorHint) while we were asking: it sits
      // between us and what we found, so it stays first rather than being overwritten.
      const meanwhile = this.successors.isEmpty() ? undefined : this.successor;
      if (meanwhile && inOpen(meanwhile.nodeId, this.self.nodeId, found.successor.nodeId)) {
        this.successors.adopt(meanwhile, [found.successor, ...found.state.successors]);
      } else {
        this.successors.adopt(found.successor, found.state.successors);
      }
      await this.call(this.successor, (r, s) => r.notify(this.self, s)).catch(() => undefined);
      break;
    }
    if (this.successors.isEmpty()) this.recoverSuccessorFromFingers();
    this.fitSuccessorList();
    if (!samePeer(before, this.successor)) {
      this.fingers.set(0, this.successors.isEmpty() ? undefined : this.successor);
      this.emit('ring-changed');
    }
  }

  /** Our successor as seen from `succ`, walking back through predecessors (successor-upkeep.ts). */
  private closestSuccessor(succ: ChordContact): Promise<FoundSuccessor> {
    return walkBackToSuccessor(
      this.self,
      succ,
      (peer) => this.call(peer, (r, s) => r.getNeighbors(s)),
      (peer) => this.callPatiently(peer, (r, s) => r.getNeighbors(s)),
    );
  }

  private fitSuccessorList(): void {
    if (this.options.successorListLength !== 'auto') return;
    const want = autoSuccessorCount(this.successors.estimateRingSize());
    if (want !== this.successors.capacity) this.successors.resize(want);
  }

  /** fix_fingers, one finger (finger-upkeep.ts). */
  async fixNextFinger(): Promise<void> {
    if (this.successors.isEmpty()) return;
    // One run, no retry when unsure: the next round refreshes the finger anyway.
    const lookupOnce = (key: bigint) => iterativeLookup(this.lookupContext(), key, this.signal);
    await fixNextFinger(this.fingers, this.successor, lookupOnce);
  }

  /** fix_fingers, the whole table (finger-upkeep.ts). */
  fixAllFingers(): Promise<void> {
    return fixAllFingers(this.self, this.fingers, (key) => this.lookup(key));
  }

  async checkPredecessor(): Promise<void> {
    const pred = this.pred;
    if (!pred) return;
    try {
      await this.call(pred, (r, s) => r.ping(s));
      this.timeouts.answered(pred);
    } catch (err) {
      // A predecessor that is only slow stays: without one, owns() and the owner check
      // would let the next lookup hand its keys to us.
      if (this.givesUpOn(pred, err) && samePeer(this.pred, pred)) {
        this.transport.forget(pred);
        this.fingers.remove(pred.nodeId);
        this.setPredecessor(null);
      }
    }
  }

  /** Graceful leave, after the keys were handed on: neighbours re-link around us at once. */
  async announceLeave(): Promise<void> {
    const succ = this.successors.isEmpty() ? null : this.successor;
    const pred = this.pred;
    const tell = (to: ChordContact | null, heir: NeighborState) =>
      to && !samePeer(to, this.self)
        ? this.call(to, (r, s) => r.leaving(this.self, heir, s)).catch(() => undefined)
        : undefined;
    await Promise.all([
      tell(succ, { predecessor: pred, successors: [] }),
      tell(pred, { predecessor: null, successors: [...this.successors.all()] }),
    ]);
  }

  /** Stops all outgoing work; the owner closes the transport and the server. */
  close(): void {
    this.closing.abort(new Error('chord node closed'));
    this.removeAllListeners();
  }

  /** A node that failed to answer: stop routing through it (stabilize and fix_fingers refill). */
  suspect(peer: ChordContact): void {
    const before = this.successor;
    this.successors.remove(peer.nodeId);
    this.fingers.remove(peer.nodeId);
    this.transport.forget(peer);
    if (this.successors.isEmpty()) this.recoverSuccessorFromFingers(peer.nodeId);
    if (!samePeer(before, this.successor)) this.emit('ring-changed');
  }

  /**
   * Calls a remote with the RPC timeout and the node's close signal; a passed deadline rejects
   * with RpcTimeoutError (slow), anything else means refused/reset/closed (gone).
   */
  call<T>(
    peer: ChordContact,
    fn: (remote: ChordRemote, signal: AbortSignal) => Promise<T>,
    timeoutMs = this.options.rpcTimeoutMs,
  ): Promise<T> {
    return rpcWithTimeout((s) => fn(this.transport.remote(peer), s), this.signal, timeoutMs);
  }

  /** After a failed call to a neighbour: dead now (refused, reset), or after repeated timeouts. */
  private givesUpOn(peer: ChordContact, err: unknown): boolean {
    return !this.signal.aborted && this.timeouts.givesUpOn(peer, err);
  }

  private routing(): RoutingState {
    return { self: this.self, predecessor: this.pred, successors: this.successors, fingers: this.fingers };
  }

  private lookupContext() {
    return {
      self: this.self,
      localStep: (key: bigint, avoid: ReadonlySet<bigint>) => this.lookupStep(key, avoid),
      remote: (peer: ChordContact) => this.transport.remote(peer),
      suspect: (peer: ChordContact) => this.suspect(peer),
      localNeighbors: () => this.getNeighbors(),
      rpcTimeoutMs: this.options.rpcTimeoutMs,
    };
  }

  private setPredecessor(pred: ChordContact | null): void {
    const previous = this.pred;
    if (samePeer(previous, pred) || (previous === null && pred === null)) return;
    this.pred = pred;
    this.emit('predecessor-changed', pred, previous);
    this.emit('ring-changed');
  }

  /** Every successor is dead: the closest live-looking finger or the predecessor will do until stabilize repairs. */
  private recoverSuccessorFromFingers(except?: bigint): void {
    const known = this.fingers.distinct().map((f) => f.node);
    if (this.pred) known.push(this.pred);
    const closest = closestKnown(this.self, known, except);
    if (closest) this.successors.insert(closest);
  }
}
