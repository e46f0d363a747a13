// What the topology page hears of one flood GET: its progress, at most every REPORT_EVERY_MS,
// and its end. Apart from the download, which does not care who watches it.
import type { AnyMessage } from '../wire';

type TransferReport = Extract<AnyMessage, { t: 'activity-transfer' }>;

const REPORT_EVERY_MS = 250;

export class TransferActivity {
  private lastReport = 0;

  constructor(
    private readonly report: (msg: TransferReport) => void,
    /** The holder named while the download runs (the first holder of the version searched). */
    private readonly from: string,
    private readonly to: string,
    private readonly name: string,
  ) {}

  progress(bytes: number, total: number): void {
    const now = Date.now();
    if (now - this.lastReport < REPORT_EVERY_MS && bytes !== total) return;
    this.lastReport = now;
    const { from, to, name } = this;
    this.report({ t: 'activity-transfer', from, to, name, bytes, total, done: false });
  }

  /** The download completed; `source`: the first holder it took chunks from, if any. */
  done(bytes: number, source: string | undefined): void {
    const { to, name } = this;
    this.report({ t: 'activity-transfer', from: source ?? this.from, to, name, bytes, total: bytes, done: true });
  }
}
