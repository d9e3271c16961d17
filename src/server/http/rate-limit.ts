import type { FastifyInstance } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import { TokenBucket } from '../util/token-bucket.js';

export interface HttpRateLimit {
  ratePerSec: number;
  rateBurst: number;
}

/** Buckets that have refilled are dropped on this interval, so idle clients cost nothing. */
const SWEEP_MS = 60_000;

/** Token bucket per client IP over the REST API (`/api/`); over the limit: 429. */
export function registerRateLimit(app: FastifyInstance, opts: HttpRateLimit): void {
  if (opts.ratePerSec <= 0) return;
  const buckets = new Map<string, TokenBucket>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [ip, bucket] of buckets) if (bucket.isFull(now)) buckets.delete(ip);
  }, SWEEP_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    let bucket = buckets.get(request.ip);
    if (!bucket) {
      bucket = new TokenBucket(opts.rateBurst, opts.ratePerSec);
      buckets.set(request.ip, bucket);
    }
    if (bucket.take()) return;
    reply
      .code(429)
      .header('Retry-After', String(Math.max(1, Math.ceil(1 / opts.ratePerSec))))
      .send({ detail: 'Too many requests; slow down', code: ErrorCode.RATE_LIMITED });
    return reply;
  });
}
