import type { IncomingMessage } from 'node:http';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Cross-site WebSocket hijacking guard. Browsers always send Origin; other
 * clients (CLIs, bots) usually do not, and have no ambient cookies to abuse.
 * Allowed: no Origin, the server's own origin (same host as the request),
 * localhost, and the configured extra origins (`*` for any).
 */
export function originAllowed(req: IncomingMessage, allowList: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowList.includes('*') || allowList.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.host === req.headers.host || LOCAL_HOSTS.has(url.hostname);
}
