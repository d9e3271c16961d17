import type { FastifyInstance } from 'fastify';

/** Where uploaded files are served (files-routes.ts). */
export const FILES_PREFIX = '/api/chat/files/';

/** Files never run anything, never load anything, and are a sandboxed origin if opened. */
export const FILE_CSP = "default-src 'none'; sandbox";

const HOST_SAFE = /^[A-Za-z0-9.\-:[\]]+$/;

/**
 * Security headers on every response, and a strict Content-Security-Policy for
 * the web client: no inline script or style, nothing from other origins. The
 * API docs page (/docs) brings its own scripts and gets no CSP from here.
 * Not @fastify/helmet: this CSP names the request's own host for ws:/wss:, /docs
 * (registered by swagger-ui) must be left out, and Permissions-Policy is not
 * helmet's; overriding all that would be longer than these few headers.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (request.url.startsWith('/docs')) return;
    if (request.url.startsWith(FILES_PREFIX)) {
      // Uploaded files: nothing in them may run, load or frame anything.
      reply.header('Content-Security-Policy', FILE_CSP);
      reply.header('X-Frame-Options', 'DENY');
      return;
    }
    const host = request.headers.host;
    // 'self' covers same-origin ws: in current browsers; the explicit form helps older Safari.
    const ws = host && HOST_SAFE.test(host) ? ` ws://${host} wss://${host}` : '';
    reply.header(
      'Content-Security-Policy',
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; ` +
        `connect-src 'self'${ws}; font-src 'self'; object-src 'none'; base-uri 'none'; ` +
        `frame-ancestors 'none'; form-action 'self'`,
    );
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  });
}
