// A transfer in a few words for the Transfers view's description column. vscode-free, so the
// wording is unit-tested.

import { formatBytes, percentOf } from '../util/format';
import type { Transfer } from './transferList';

/** "42 % · 3.1 MiB/s · 12 s left", "paused at 42 %", "6 MiB from s3", "failed: …". */
export function describeTransfer(t: Transfer, bytesPerSecond: number, etaSeconds: number | undefined): string {
  const percent = `${percentOf(t.bytes, t.total)} %`;
  switch (t.state) {
    case 'active': {
      const parts = [t.total > 0 ? percent : 'starting…'];
      if (bytesPerSecond > 0) parts.push(`${formatBytes(bytesPerSecond)}/s`);
      if (etaSeconds !== undefined) parts.push(`${formatDuration(etaSeconds)} left`);
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
