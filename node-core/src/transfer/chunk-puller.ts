// Pulls a download's chunks from its holders so that none can hold it hostage: each holder gets a
// share of a small request window; every chunk goes through the sink, which checks it against the
// manifest before writing it; a holder that sends a bad chunk or fails a request is dropped for
// this file; a holder that misses its deadline (chunk-deadlines.ts) is demoted and its chunks are
// asked of another; once nothing is left to ask, idle holders duplicate the chunks still in flight
// (end-game) and the first verified answer wins.
import type { FileManifest } from '../files/manifest';
import type { PeerRef } from '../events';
import { P2PError, payloadPool, toP2PError, type Connection } from '../wire';
import type { ChunkSink } from './chunk-sink-types';
import { isChunkMismatch } from './chunk-mismatch';
import { chunkDeadlineMs, type DeadlinePolicy } from './chunk-deadlines';
import { HolderScore } from './holder-scoreboard';
import { fetchChunk } from './transfer-client';

/** Chunk requests in flight for one download, whatever the number of holders (3 holders: 2 each). */
const WINDOW_BUDGET = 8;

/** Holders one chunk may be asked of at the same time (a late or end-game chunk). */
const MAX_COPIES = 2;

export interface PullPlan {
  name: string;
  manifest: FileManifest;
  sink: ChunkSink;
  /** The chunks to fetch, in the order to ask for them. */
  todo: number[];
  deadlines: DeadlinePolicy;
  signal: AbortSignal;
  /** Requests in flight per active holder; default: WINDOW_BUDGET shared by the holders (at least 2 each). */
  window?: number;
  /** A request may take this long with nothing arriving on its link (default: CHUNK_TIMEOUT_MS). */
  chunkTimeoutMs?: number;
  /** A chunk verified and written. */
  onAccepted: (index: number, holder: PeerRef, length: number) => void;
}

export class ChunkPuller {
  private readonly holders: HolderScore[] = [];
  /** Where the next chunk nobody has been asked for yet is in `plan.todo`. */
  private nextFresh = 0;
  /** Chunks to ask again, nobody fetching them any more (their holder failed or lied): before the fresh ones. */
  private readonly requeued: number[] = [];
  /** Chunks asked of a holder that missed its deadline: any other holder may take them too. */
  private readonly late = new Set<number>();
  /** The holders each chunk is asked of right now. */
  private readonly askedOf = new Map<number, Set<HolderScore>>();
  /** Chunks whose answer is being checked and written. */
  private readonly writing = new Set<number>();
  private readonly done = new Set<number>();
  private holdersFinal = false;
  private timer: NodeJS.Timeout | undefined;
  private settle: { resolve: () => void; reject: (err: P2PError) => void } | undefined;
  private readonly deadlineMs: number;

  constructor(private readonly plan: PullPlan) {
    this.deadlineMs = chunkDeadlineMs(plan.manifest.chunkSize, plan.deadlines);
  }

  /** Pulls every chunk; rejects if the download is cancelled, the sink fails, or no holder is left. */
  run(): Promise<void> {
    const finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    const onAbort = (): void => this.fail(new P2PError('CANCELLED', `download of "${this.plan.name}" cancelled`));
    this.plan.signal.addEventListener('abort', onAbort, { once: true });
    this.timer = setInterval(() => this.checkDeadlines(), Math.max(20, Math.floor(this.plan.deadlines.minMs / 8)));
    if (this.plan.signal.aborted) onAbort();
    else if (this.remaining === 0) this.succeed();
    this.pumpAll();
    return finished.finally(() => {
      this.plan.signal.removeEventListener('abort', onAbort);
      clearInterval(this.timer);
      for (const holder of this.holders) for (const controller of holder.asked.values()) controller.abort();
    });
  }

  /** A holder serving the chosen version; may come in while chunks are already being pulled. */
  addHolder(ref: PeerRef, conn: Connection): void {
    this.holders.push(new HolderScore(ref, conn));
    this.pumpAll();
  }

  /** No more holders will be added: once none is usable, the download fails. */
  noMoreHolders(): void {
    this.holdersFinal = true;
    this.failIfStranded();
  }

  private get remaining(): number {
    return this.plan.todo.length - this.done.size;
  }

  private windowOf(holder: HolderScore): number {
    if (holder.standing === 'demoted') return 1;
    if (this.plan.window !== undefined) return this.plan.window;
    const active = this.holders.filter((h) => h.standing === 'active').length;
    const demoted = this.holders.filter((h) => h.standing === 'demoted').length;
    return Math.max(2, Math.floor((WINDOW_BUDGET - demoted) / Math.max(1, active)));
  }

  private pumpAll(): void {
    for (const holder of this.holders) this.pump(holder);
    this.failIfStranded();
  }

  private pump(holder: HolderScore): void {
    while (this.settle && holder.usable && holder.load < this.windowOf(holder)) {
      const index = this.pick(holder);
      if (index === undefined) return;
      this.ask(holder, index);
    }
  }

  /** The next chunk for this holder: a fresh one, else (active holders) a late or end-game copy. */
  private pick(holder: HolderScore): number | undefined {
    while (this.requeued.length > 0) {
      const index = this.requeued.shift() as number;
      if (this.isOpen(index) && !this.askedOf.get(index)?.size) return index;
    }
    if (this.nextFresh < this.plan.todo.length) return this.plan.todo[this.nextFresh++];
    if (holder.standing !== 'active') return undefined;
    const copyable = (index: number): boolean =>
      this.isOpen(index) && !holder.asked.has(index) && (this.askedOf.get(index)?.size ?? 0) < MAX_COPIES;
    for (const index of this.late) if (copyable(index)) return index;
    // end-game: nothing fresh is left, so the chunks still in flight elsewhere go here too
    let best: number | undefined;
    for (const [index, holders] of this.askedOf)
      if (copyable(index) && (best === undefined || holders.size < (this.askedOf.get(best)?.size ?? 0))) best = index;
    return best;
  }

  /** Neither accepted nor being written. */
  private isOpen(index: number): boolean {
    return !this.done.has(index) && !this.writing.has(index);
  }

  private ask(holder: HolderScore, index: number): void {
    const controller = new AbortController();
    holder.ask(index, controller, Date.now());
    let askedOf = this.askedOf.get(index);
    if (!askedOf) this.askedOf.set(index, (askedOf = new Set()));
    askedOf.add(holder);
    const { manifest, chunkTimeoutMs } = this.plan;
    fetchChunk(holder.conn, manifest, index, controller.signal, chunkTimeoutMs).then(
      (pieces) => void this.onAnswer(holder, index, pieces),
      (err: unknown) => this.onRequestFailed(holder, index, controller, err),
    );
  }

  private forget(holder: HolderScore, index: number): void {
    holder.asked.delete(index);
    const askedOf = this.askedOf.get(index);
    askedOf?.delete(holder);
    if (askedOf?.size === 0) this.askedOf.delete(index);
  }

  private async onAnswer(holder: HolderScore, index: number, pieces: readonly Buffer[]): Promise<void> {
    this.forget(holder, index);
    holder.arrived(Date.now());
    if (!this.settle || !this.isOpen(index)) {
      for (const piece of pieces) payloadPool.release(piece); // another copy won
      return this.pumpAll();
    }
    this.writing.add(index);
    holder.writing++;
    try {
      const length = await this.plan.sink.write(index, pieces);
      this.writing.delete(index);
      holder.writing--;
      this.accept(holder, index, length);
    } catch (err) {
      this.writing.delete(index);
      holder.writing--;
      if (!isChunkMismatch(err)) {
        // ours (a full disk, a dead worker), not the holder's: the download ends with that cause
        const reason = toP2PError(err).message;
        return this.fail(new P2PError('DOWNLOAD_FAILED', `writing "${this.plan.name}.part" failed: ${reason}`));
      }
      this.dropHolder(holder, `sent chunk ${index}, which does not match the manifest`);
      this.requeue(index);
    }
    this.pumpAll();
  }

  private accept(holder: HolderScore, index: number, length: number): void {
    this.done.add(index);
    this.late.delete(index);
    holder.deliver();
    for (const other of this.askedOf.get(index) ?? []) other.asked.get(index)?.abort();
    this.plan.onAccepted(index, holder.ref, length);
    if (this.remaining === 0) this.succeed();
  }

  private onRequestFailed(holder: HolderScore, index: number, controller: AbortController, err: unknown): void {
    this.forget(holder, index);
    // cancelled by us: another copy won, the holder was dropped, or the download ended
    if (!controller.signal.aborted && holder.usable) this.dropHolder(holder, toP2PError(err).message);
    this.requeue(index);
    this.pumpAll();
  }

  /** A chunk nobody is fetching any more is asked for again, before the fresh ones. */
  private requeue(index: number): void {
    if (this.isOpen(index) && !this.askedOf.get(index)?.size && !this.requeued.includes(index))
      this.requeued.push(index);
  }

  private dropHolder(holder: HolderScore, reason: string): void {
    const asked = [...holder.asked.keys()];
    holder.drop(reason);
    for (const index of asked) {
      this.forget(holder, index);
      this.requeue(index);
    }
  }

  /** Demotes the holders past their deadline, offers their chunks to others, drops the hopeless ones. */
  private checkDeadlines(): void {
    const now = Date.now();
    for (const holder of this.holders) {
      if (!holder.usable || !holder.isLate(now, this.deadlineMs)) continue;
      holder.miss(now);
      for (const index of holder.asked.keys()) this.late.add(index);
      if (holder.misses >= this.plan.deadlines.maxMisses) {
        const rate = Math.round(this.plan.deadlines.minBytesPerSecond / 1024);
        this.dropHolder(
          holder,
          `delivered no chunk in ${holder.misses} deadlines of ${this.deadlineMs} ms (${rate} KiB/s)`,
        );
      }
    }
    this.pumpAll();
  }

  /** Fails once no holder is usable, none is on its way, and no answer is still being written. */
  private failIfStranded(): void {
    if (!this.settle || !this.holdersFinal || this.remaining === 0 || this.writing.size > 0) return;
    if (this.holders.some((h) => h.usable)) return;
    const reasons = this.holders.map((h) => `${h.ref.id}: ${h.dropReason ?? 'dropped'}`).join('; ');
    const name = this.plan.name;
    this.fail(new P2PError('DOWNLOAD_FAILED', `no holder could serve "${name}" (${reasons || 'none'})`, name));
  }

  private succeed(): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.resolve();
  }

  private fail(err: P2PError): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.reject(err);
  }
}
