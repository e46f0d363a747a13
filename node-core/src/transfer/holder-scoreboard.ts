// One holder of a download as the chunk puller sees it: its link, the chunks it is asked for,
// the deadline clock of its next delivery, and its standing. An active holder gets a share of the
// request window; a demoted one (it missed a deadline and has delivered nothing since) gets one
// request at a time; a dropped one gets nothing more for this file.
import type { PeerRef } from '../events';
import type { Connection } from '../wire';

export type HolderStanding = 'active' | 'demoted' | 'dropped';

export class HolderScore {
  standing: HolderStanding = 'active';
  /** Chunks asked of this holder and not answered yet, each with the means to cancel its request. */
  readonly asked = new Map<number, AbortController>();
  /** Its answers still being checked and written: they hold a buffer each, so they count in its window. */
  writing = 0;
  /** Deadlines missed since its last delivered chunk. */
  misses = 0;
  /** Chunks it delivered that verified. */
  delivered = 0;
  /** Why it was dropped, for the error if no holder is left. */
  dropReason: string | undefined;
  /** When the deadline of its next delivery started running. */
  private clockFrom = 0;

  constructor(
    readonly ref: PeerRef,
    readonly conn: Connection,
  ) {}

  get usable(): boolean {
    return this.standing !== 'dropped';
  }

  /** Records a request; an idle holder's clock starts now, a busy one's keeps running. */
  ask(index: number, controller: AbortController, now: number): void {
    if (this.asked.size === 0) this.clockFrom = now;
    this.asked.set(index, controller);
  }

  /** Requests in flight plus answers being written: what its window bounds. */
  get load(): number {
    return this.asked.size + this.writing;
  }

  /** A whole chunk arrived: the deadline of its next one runs from now (our own writing is not its delay). */
  arrived(now: number): void {
    this.clockFrom = now;
  }

  /** The chunk verified: the holder is back in good standing. */
  deliver(): void {
    this.delivered++;
    this.misses = 0;
    if (this.standing === 'demoted') this.standing = 'active';
  }

  /** Whether the holder has been asked for something and sat on it past `deadlineMs`. */
  isLate(now: number, deadlineMs: number): boolean {
    return this.asked.size > 0 && now - this.clockFrom > deadlineMs;
  }

  /** A missed deadline: demoted, and the next deadline runs from now. */
  miss(now: number): void {
    this.misses++;
    this.clockFrom = now;
    if (this.standing === 'active') this.standing = 'demoted';
  }

  /** Nothing more for this file: its requests are cancelled, its link closed. */
  drop(reason: string): void {
    if (this.standing === 'dropped') return;
    this.standing = 'dropped';
    this.dropReason = reason;
    for (const controller of this.asked.values()) controller.abort();
    this.conn.close();
  }
}
