// Every download this window started, as a small state machine per transfer, with a rate meter
// each. Pure (no vscode, no processes): the Transfers view draws it, TransferController moves it,
// and its snapshot is what is persisted so paused transfers survive a restart of VS Code.

import { Emitter, type Event } from '../util/emitter';
import { RateMeter } from './rateMeter';

export type TransferState = 'active' | 'paused' | 'completed' | 'failed' | 'cancelled';

export interface Transfer {
  /** `peer/name`: a peer downloads one file of a name at a time. */
  readonly id: string;
  readonly peer: string;
  readonly name: string;
  /** The share link it was started from: resume and retry download that version again. */
  link?: string;
  /** The version picked from a search (its root), kept so a resume gets the same one. */
  version?: string;
  state: TransferState;
  bytes: number;
  total: number;
  /** Where the finished file is. */
  path?: string;
  sources?: string[];
  /** Bytes each holder (by id) sent in the current run, from the peer's progress events. */
  received?: Record<string, number>;
  /** Why it failed, for the tooltip. */
  error?: string;
  updatedAt: number;
}

/** Which version a download takes: a share link's, or one picked from a search; neither: the most held. */
export type VersionChoice = Pick<Transfer, 'link' | 'version'>;

/** Which states each step may leave from: a late event for a transfer in another state is ignored. */
const ALLOWED_FROM: Record<'start' | 'progress' | 'pause' | 'complete' | 'fail' | 'cancel', TransferState[]> = {
  start: ['paused', 'failed', 'cancelled', 'completed'],
  progress: ['active'],
  pause: ['active'],
  complete: ['active', 'paused'],
  fail: ['active'],
  cancel: ['active', 'paused'],
};

const FINISHED: ReadonlySet<TransferState> = new Set(['completed', 'failed', 'cancelled']);

export function transferId(peer: string, name: string): string {
  return `${peer}/${name}`;
}

export class TransferList {
  private readonly byId = new Map<string, Transfer>();
  private readonly meters = new Map<string, RateMeter>();
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Newest first. */
  get all(): Transfer[] {
    return [...this.byId.values()].sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
  }

  get(id: string): Transfer | undefined {
    return this.byId.get(id);
  }

  get active(): Transfer[] {
    return this.all.filter((t) => t.state === 'active');
  }

  /** A new transfer, or a paused/ended one started again (resume, retry). False if it already runs. */
  start(peer: string, name: string, { link, version }: VersionChoice = {}): Transfer | undefined {
    const id = transferId(peer, name);
    const existing = this.byId.get(id);
    if (existing && !ALLOWED_FROM.start.includes(existing.state)) return undefined;
    const transfer: Transfer = existing ?? { id, peer, name, state: 'active', bytes: 0, total: 0, updatedAt: 0 };
    if (existing?.state !== 'paused') Object.assign(transfer, { bytes: 0, total: existing?.total ?? 0 });
    Object.assign(transfer, { state: 'active', error: undefined, path: undefined, received: undefined });
    transfer.link = link;
    if (version) transfer.version = version;
    transfer.updatedAt = this.clock();
    this.byId.set(id, transfer);
    this.meterOf(id).reset();
    this.changed.fire();
    return transfer;
  }

  progress(id: string, bytes: number, total: number, received?: Record<string, number>): void {
    this.step(id, 'progress', (t) => {
      Object.assign(t, { bytes, total });
      if (received) t.received = { ...received };
      this.meterOf(id).record(bytes, this.clock());
    });
  }

  paused(id: string, bytes?: number, total?: number): void {
    this.step(id, 'pause', (t) => {
      t.state = 'paused';
      if (bytes !== undefined && total !== undefined && total > 0) Object.assign(t, { bytes, total });
    });
  }

  completed(id: string, done: { path: string; bytes: number; sources: string[] }): void {
    this.step(id, 'complete', (t) => {
      Object.assign(t, { state: 'completed', path: done.path, bytes: done.bytes, total: done.bytes });
      t.sources = done.sources;
    });
  }

  failed(id: string, error: string): void {
    this.step(id, 'fail', (t) => Object.assign(t, { state: 'failed', error }));
  }

  cancelled(id: string): void {
    this.step(id, 'cancel', (t) => Object.assign(t, { state: 'cancelled', bytes: 0 }));
  }

  /** Bytes per second of one transfer (0 unless active). */
  speedOf(id: string): number {
    return this.byId.get(id)?.state === 'active' ? this.meterOf(id).bytesPerSecond(this.clock()) : 0;
  }

  etaOf(id: string): number | undefined {
    const t = this.byId.get(id);
    return t?.state === 'active' ? this.meterOf(id).etaSeconds(t.total, this.clock()) : undefined;
  }

  totalSpeed(): number {
    return this.active.reduce((sum, t) => sum + this.speedOf(t.id), 0);
  }

  /** Forgets completed, failed and cancelled transfers; paused and active ones stay. */
  clearHistory(): void {
    for (const [id, t] of this.byId) {
      if (FINISHED.has(t.state)) {
        this.byId.delete(id);
        this.meters.delete(id);
      }
    }
    this.changed.fire();
  }

  /** What survives a restart: a copy of every transfer, plain data. */
  snapshot(): Transfer[] {
    return this.all.map((t) => ({ ...t }));
  }

  /**
   * Loads persisted transfers (anything malformed is skipped). One that was active when the window
   * closed is paused now: its peer stopped, keeping the .part for the next GET.
   */
  restore(records: unknown): void {
    if (!Array.isArray(records)) return;
    for (const record of records) {
      const t = asTransfer(record);
      if (!t || this.byId.has(t.id)) continue;
      if (t.state === 'active') t.state = 'paused';
      this.byId.set(t.id, t);
    }
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  private step(id: string, step: keyof typeof ALLOWED_FROM, apply: (t: Transfer) => void): void {
    const t = this.byId.get(id);
    if (!t || !ALLOWED_FROM[step].includes(t.state)) return;
    apply(t);
    t.updatedAt = this.clock();
    this.changed.fire();
  }

  private meterOf(id: string): RateMeter {
    let meter = this.meters.get(id);
    if (!meter) this.meters.set(id, (meter = new RateMeter()));
    return meter;
  }
}

const STATES: ReadonlySet<string> = new Set<TransferState>(['active', 'paused', 'completed', 'failed', 'cancelled']);

function asTransfer(value: unknown): Transfer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const { peer, name, state, bytes, total, updatedAt } = r;
  if (typeof peer !== 'string' || typeof name !== 'string' || typeof state !== 'string' || !STATES.has(state))
    return undefined;
  if (![bytes, total, updatedAt].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
  return {
    id: transferId(peer, name),
    peer,
    name,
    state: state as TransferState,
    bytes: bytes as number,
    total: total as number,
    updatedAt: updatedAt as number,
    path: typeof r.path === 'string' ? r.path : undefined,
    // a stored link is parsed again by the peer before it is used
    link: typeof r.link === 'string' ? r.link : undefined,
    error: typeof r.error === 'string' ? r.error : undefined,
    version: typeof r.version === 'string' && /^[0-9a-f]{64}$/.test(r.version) ? r.version : undefined,
    sources: Array.isArray(r.sources) ? r.sources.filter((s): s is string => typeof s === 'string') : undefined,
  };
}
