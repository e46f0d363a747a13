// Turns anything thrown into the contract's error event.
import type { ErrorCode, ErrorEvent } from '../events';
import { toP2PError } from '../wire';

export function errorEvent(err: unknown, fallback: ErrorCode = 'INTERNAL', name?: string): ErrorEvent {
  const e = toP2PError(err, fallback);
  const subject = e.subject ?? name;
  return { event: 'error', code: e.code, message: e.message, ...(subject !== undefined ? { name: subject } : {}) };
}
