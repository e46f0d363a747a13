// A transfer in a few words for the Transfers view's description column. vscode-free, so the
// wording is unit-tested.

import { formatBytes, percentOf, plural } from '../util/format';
import type { Transfer } from './transferList';

/** "42 % · 3.1 MiB/s · 12 s left", "paused at 42 %", "6 MiB from s3", "failed: …". */
export function describeTransfer(t: Transfer, bytesPerSecond: number, etaSeconds: number | undefined): string {
  const percent = `${percentOf(t.bytes, t.total)} %`;
  switch (t.state) {
    case 'active': {
      const parts = [t.total > 0 ? percent : 'starting…'];
      if (bytesPerSecond > 0) parts.push(`${formatBytes(bytesPerSecond)}/s`);
      if (etaSeconds !== undefined) parts.push(`${formatDuration(etaSeconds)} left`);
      const holders = Object.values(t.received ?? {}).filter((bytes) => bytes > 0).length;
      if (holders > 0) parts.push(plural(holders, 'holder'));
      return parts.join(' · ');
    }
    case 'paused':
      return t.total > 0 ? `paused at ${percent} of ${formatBytes(t.total)}` : 'paused';
    case 'completed':
      return `${formatBytes(t.bytes)}${t.sources?.length ? ` from ${t.sources.join(', ')}` : ''}`;
    case 'failed':
      return `failed${t.error ? `: ${t.error}` : ''}`;
    case 'cancelled':
      return 'cancelled';
  }
}

function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "s2 60 %, s3 40 %": each holder's share of the bytes received in this run, largest first. */
export function holderShares(t: Transfer): string {
  const entries = Object.entries(t.received ?? {}).filter(([, bytes]) => bytes > 0);
  const sum = entries.reduce((total, [, bytes]) => total + bytes, 0);
  return entries
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([id, bytes]) => `${id} ${Math.round((100 * bytes) / sum)} %`)
    .join(', ');
}
