import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ErrorBody } from '../../protocol/rest.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return isIPv6(address) && /^(0{0,4}:){2,7}0{0,3}1$/.test(address);
}

const BEARER = /^Bearer +(\S+)$/i;
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Loopback only: the peer and, behind a trusted proxy, every address the request
 * passed through. Checking all of them (not just `request.ip`) keeps a remote
 * client from getting in by sending `X-Forwarded-For: 127.0.0.1` itself.
 */
function fromLoopback(request: FastifyRequest): boolean {
  return isLoopback(request.socket.remoteAddress) && request.ips?.every(isLoopback) !== false;
}

/**
 * `/metrics`: this process's Prometheus metrics, in the text exposition format.
 * Served to loopback addresses, and with a token configured to any address that
 * sends `Authorization: Bearer <token>`; anyone else gets 403.
 */
export function registerMetricsRoutes(
  app: FastifyInstance,
  metrics: Metrics,
  opts: Config['metrics'],
): void {
  const token = opts.token === '' ? null : digest(opts.token);
  const allowed = (request: FastifyRequest): boolean => {
    if (fromLoopback(request)) return true;
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
    // Compared as digests: constant time, whatever the lengths.
    return token !== null && given !== undefined && timingSafeEqual(digest(given), token);
  };
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!allowed(request)) {
      const body: ErrorBody = {
        detail: 'Metrics are served to loopback addresses, or with the metrics token',
        code: ErrorCode.FORBIDDEN,
      };
      return reply.code(403).send(body);
    }
    const body = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(body);
  });
}
