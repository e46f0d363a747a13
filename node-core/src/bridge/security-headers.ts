// Headers on every bridge response. No Access-Control-Allow-Origin at all: the API is for the
// page itself (same origin) and for tools holding the token, never for other sites' scripts.
import type { ServerResponse } from 'node:http';

export function setCommonSecurityHeaders(response: ServerResponse): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer'); // the token is in the URL
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** The page: only its own script, style and WebSocket; no framing by other sites. */
export function setPageSecurityHeaders(response: ServerResponse): void {
  response.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'", // CSP3: 'self' covers ws:// and wss:// to this host
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  response.setHeader('X-Frame-Options', 'DENY');
}
