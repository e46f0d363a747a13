// What the bridge's `traffic` reports add up to: the current rate on each pair of peers (file
// bytes per second, both directions together) and each peer's upload and download rate per
// second over the last minute. Pure data with the clock passed in, shared by the page and tests.
import { linkKey, type BridgeMessage } from '@node-core/topology';

export const HISTORY_SECONDS = 60;
/** A pair's rate is what it carried over this window: reports come about once a second. */
export const RATE_WINDOW_MS = 2000;
/** Reports are the network's word: a flood of them must not grow the page without bound. */
const MAX_SAMPLES = 20_000;

interface Sample {
  at: number;
  from: string;
  to: string;
  bytes: number;
}

export interface PeerTraffic {
  /** Bytes per second, one value per second, oldest first. */
  up: number[];
  down: number[];
}

export class TrafficModel {
  private samples: Sample[] = [];

  record(message: Extract<BridgeMessage, { type: 'traffic' }>, now: number): void {
    for (const flow of message.flows) {
      if (flow.from !== message.to && flow.bytes > 0)
        this.samples.push({ at: now, from: flow.from, to: message.to, bytes: flow.bytes });
    }
    const oldest = now - HISTORY_SECONDS * 1000;
    const keep = this.samples.findIndex((s) => s.at > oldest);
    this.samples = keep < 0 ? [] : this.samples.slice(Math.max(keep, this.samples.length - MAX_SAMPLES));
  }

  /** True while anything moved within the last minute (the chart still has something to show). */
  active(now: number): boolean {
    const last = this.samples[this.samples.length - 1];
    return last !== undefined && last.at > now - HISTORY_SECONDS * 1000;
  }

  /** Bytes per second on each pair that carried anything within the rate window, keyed as links are. */
  linkRates(now: number): Map<string, number> {
    const rates = new Map<string, number>();
    for (const s of this.samples) {
      if (s.at <= now - RATE_WINDOW_MS) continue;
      const key = linkKey(s.from, s.to);
      rates.set(key, (rates.get(key) ?? 0) + (s.bytes * 1000) / RATE_WINDOW_MS);
    }
    return rates;
  }

  /** A peer's upload and download per second over the last minute. */
  history(id: string, now: number): PeerTraffic {
    const up = new Array<number>(HISTORY_SECONDS).fill(0);
    const down = new Array<number>(HISTORY_SECONDS).fill(0);
    for (const s of this.samples) {
      const slot = HISTORY_SECONDS - 1 - Math.floor((now - s.at) / 1000);
      if (slot < 0 || slot >= HISTORY_SECONDS) continue;
      if (s.from === id) up[slot]! += s.bytes;
      if (s.to === id) down[slot]! += s.bytes;
    }
    return { up, down };
  }
}

/** "1.5 MiB/s", "320 KiB/s", "12 B/s". */
export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
