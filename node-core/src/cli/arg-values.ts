// What every command's parse shares: the common options, the strict parse and the flag value checks.
// Each check turns a bad value into a UsageError naming the flag.
import { parseArgs } from 'node:util';
import type { Address, Mode } from '../events';
import { MIN_UPLOAD_BYTES_PER_SECOND } from '../transfer/upload-limiter';
import { parseShareLink, ShareLinkError, type ShareLink } from '../share-link';
import { isFingerprint, type ExpectedKey } from '../wire';
import { UsageError } from './usage';

export const commonOptions = {
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

export function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) throw new UsageError('');
  return parsed;
}

/** `--key K`, else the environment's P2P_NETWORK_KEY; an empty one means none. */
export function networkKey(value: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return value || env.P2P_NETWORK_KEY || undefined;
}

export function int(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

export function optionalInt(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  return value === undefined ? undefined : int(flag, value, min, max);
}

const RATE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Bytes per second from "1M", "20M", "1.5G", "2048K" (binary units, an optional "iB", "B" or "/s"). */
export function rate(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?(?:\/s)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * RATE_UNITS[match[2].toUpperCase()]) : NaN;
  if (!(bytes >= MIN_UPLOAD_BYTES_PER_SECOND)) {
    throw new UsageError(
      `${flag} must be a rate of at least 1M (bytes per second, e.g. 1M, 20M, 1.5G), not "${value}"`,
    );
  }
  return bytes;
}

export function shareLink(value: string): ShareLink {
  try {
    return parseShareLink(value);
  } catch (err) {
    if (err instanceof ShareLinkError) throw new UsageError(err.message);
    throw err;
  }
}

export function metaserverKey(value: string | undefined): ExpectedKey | undefined {
  if (value === undefined) return undefined;
  const fingerprint = value.toLowerCase();
  if (!isFingerprint(fingerprint))
    throw new UsageError(`--metaserver-fp must be a key fingerprint (64 hex digits), not "${value.slice(0, 80)}"`);
  return { fingerprint, source: '--metaserver-fp', overridesPin: true };
}

export function mode(value: string): Mode {
  if (value !== 'flood' && value !== 'chord') throw new UsageError(`--mode must be flood or chord, not "${value}"`);
  return value;
}

export function address(flag: string, value: string): Address {
  const match = /^(.+):(\d+)$/.exec(value);
  if (!match) throw new UsageError(`${flag} must be HOST:PORT, not "${value}"`);
  const host = match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port: int(flag, match[2], 1, 65535) };
}

/** `--heartbeat-ms N` (tests, benchmarks): the timeouts of peers and the metaserver follow it. */
export function heartbeatMs(value: string | undefined): number | undefined {
  return optionalInt('--heartbeat-ms', value, 10, 3_600_000);
}
