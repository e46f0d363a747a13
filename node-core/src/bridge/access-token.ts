// The bridge's only credential: a random token, handed out in the metaserver's ready event
// (`url`), like a notebook server's. Everything the bridge serves requires it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function createAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token a request presents: `?token=` or, for API clients, `Authorization: Bearer`. */
export function presentedToken(request: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/**
 * Compares in constant time. Hashing both sides first gives equal-length buffers, so neither
 * the content nor the length of the real token leaks through timing.
 */
export function tokensMatch(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

export type AccessDecision = { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

export function checkAccess(expected: string, request: IncomingMessage, url: URL): AccessDecision {
  const presented = presentedToken(request, url);
  if (presented === undefined) return { allowed: false, status: 401, reason: 'token required' };
  if (!tokensMatch(expected, presented)) return { allowed: false, status: 403, reason: 'wrong token' };
  return { allowed: true };
}
