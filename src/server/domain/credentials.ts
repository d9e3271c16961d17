// Who is asking, from request headers: an API token (`Authorization: Bearer`) or the
// session cookie. Shared by the REST routes (http/identity.ts) and WebSocket
// upgrades (ws/gateway.ts), which both see only headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { AccountService } from './accounts.js';
import type { Actor } from './actor.js';

export const SESSION_COOKIE = 'parley_session';

/**
 * The value of cookie `name` in a Cookie header, or undefined. Total: any header
 * (repeated, malformed, huge) gives an answer, never an exception.
 */
export function cookieValue(
  header: string | string[] | undefined,
  name: string,
): string | undefined {
  const joined = Array.isArray(header) ? header.join('; ') : header;
  if (!joined || joined.length > 16_384) return undefined;
  for (const part of joined.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/** The token of `Authorization: Bearer <token>`, '' for another scheme, undefined without the header. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? (header[0] ?? '') : header;
  const match = /^Bearer +(\S+) *$/i.exec(value);
  return match?.[1] ?? '';
}

/**
 * Resolves the account from request headers: an `Authorization: Bearer` API token
 * if the header is there (then the cookie is not looked at), else the session
 * cookie. Null when neither names a live credential of an active account.
 */
export async function resolveIdentity(
  accounts: AccountService,
  headers: IncomingHttpHeaders,
): Promise<Actor | null> {
  const bearer = bearerToken(headers.authorization);
  if (bearer !== undefined) return bearer === '' ? null : accounts.fromToken(bearer);
  const session = cookieValue(headers.cookie, SESSION_COOKIE);
  return session ? accounts.fromSession(session) : null;
}
