import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Config } from '../config.js';
import type { AccountService } from '../domain/accounts.js';
import { type Actor, OPEN_ACTOR } from '../domain/actor.js';
import { resolveIdentity, SESSION_COOKIE } from '../domain/credentials.js';
import { ChatError, unauthenticated } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking: the open actor in open mode; in accounts mode the account, or null. */
    actor: Actor | null;
  }
}

/** The cookie outlives any idle limit; the server decides when a session ends. */
const COOKIE_MAX_AGE_S = 400 * 86_400;

/** API routes anyone may call in accounts mode; every other `/api/` route needs an account. */
const PUBLIC_API = new Set([
  '/api/auth/mode',
  '/api/auth/signup',
  '/api/auth/login',
  '/api/auth/logout',
]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin a request was made to, as a browser names it (`https://chat.example.com`). */
export const ownOrigin = (request: FastifyRequest): string =>
  `${request.protocol}://${request.host}`.toLowerCase();

/** The request's Origin, or the origin of its Referer; null when neither is usable. */
function callerOrigin(request: FastifyRequest): string | null {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') return origin.toLowerCase();
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return null;
  try {
    return new URL(referer).origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * CSRF guard for cookie-authenticated requests: the caller's origin must be the
 * server's own or one of CHAT_WS_ALLOWED_ORIGINS (`*` is not honoured here).
 */
function originMatches(request: FastifyRequest, allowed: readonly string[]): boolean {
  const caller = callerOrigin(request);
  if (caller === null) return false;
  return caller === ownOrigin(request) || allowed.some((a) => a.toLowerCase() === caller);
}

export const originMismatch = (): ChatError =>
  new ChatError(
    ErrorCode.ORIGIN_MISMATCH,
    "This request must come from the server's own origin",
    403,
  );

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS (behind a trusted proxy too). */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'Set-Cookie',
    `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax${secure}`,
  );
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'Set-Cookie',
    `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`,
  );
}

/**
 * Resolves who is asking, once per request, into `request.actor`, and guards the
 * API: in accounts mode every `/api/` route but sign-in and the mode needs an
 * account (401 `UNAUTHENTICATED`), and a state-changing request authenticated by
 * the cookie must come from the server's origin (403 `ORIGIN_MISMATCH`); so must
 * sign-up and login when the browser names an origin (login CSRF).
 * Registered after the rate limit, so floods of bad credentials are limited too.
 */
export function registerIdentity(
  app: FastifyInstance,
  config: Config,
  accounts: AccountService | null,
): void {
  app.decorateRequest('actor', null);
  if (accounts === null) {
    app.addHook('onRequest', async (request) => {
      request.actor = OPEN_ACTOR;
    });
    return;
  }
  const allowed = config.ws.allowedOrigins.filter((o) => o !== '*');
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    // Static files, health and docs need no identity; unknown routes get their 404.
    if (route === undefined || !route.startsWith('/api/')) return;
    request.actor = await resolveIdentity(accounts, request.headers);
    const unsafe = !SAFE_METHODS.has(request.method);
    if (PUBLIC_API.has(route)) {
      if (unsafe && request.headers.origin !== undefined && !originMatches(request, allowed)) {
        throw originMismatch();
      }
      return;
    }
    const actor = request.actor;
    if (actor === null) throw unauthenticated();
    if (unsafe && actor.kind === 'user' && actor.credential === 'session') {
      if (!originMatches(request, allowed)) throw originMismatch();
    }
  });
}
