// Human-readable numbers for tree items, progress notifications and the status bar.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 0 → "0 B", 1536 → "1.5 KiB", 10 * 2**20 → "10 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const rounded = value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${rounded} ${UNITS[unit]}`;
}

/** Whole percent, clamped to 0..100; an unknown total gives 0. */
export function percentOf(bytes: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((bytes / total) * 100)));
}

/** "1 peer", "3 peers". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
