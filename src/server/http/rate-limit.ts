import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Config } from '../config.js';
import { ChatError } from '../errors.js';
import { createRedisClient, quitRedis, type Redis } from '../redis/redis-client.js';
import type { Logger } from '../util/logger.js';

/** A Redis command slower than this lets the request through rather than stall it. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

// The plugin sets Retry-After before it throws this; the error handler writes the body.
const rateLimited = (): ChatError =>
  new ChatError(ErrorCode.RATE_LIMITED, 'Too many requests; slow down', 429);

export interface RateLimits {
  /** A preHandler for `POST /api/chat/rooms`: room creations per minute per client IP; undefined when off. */
  roomCreate?: preHandlerAsyncHookHandler;
}

/**
 * REST rate limits per client IP (@fastify/rate-limit, fixed windows): every `/api/`
 * route, and room creation on its own. With `REDIS_URL` the counters live in
 * Redis under the deployment's prefix, so N processes allow the rate once, not N
 * times. Redis trouble never fails a request: the limit is skipped meanwhile.
 * Must be registered before the routes it limits.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  config: Config,
  log: Logger,
  nodeId: string,
): Promise<RateLimits> {
  const { ratePerSec, rateBurst, roomCreatePerMin } = config.http;
  if (ratePerSec <= 0) return {};
  let redis: Redis | undefined;
  if (config.redisUrl !== '') {
    redis = createRedisClient(config.redisUrl, `parley-ratelimit-${nodeId}`, {
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    });
    redis.on('error', (error: Error) => log.debug({ err: error }, 'rate limit redis error'));
    await redis.connect().catch((error: unknown) => {
      log.warn(
        { err: error },
        'redis unreachable at start; REST rate limits are per process until it is back',
      );
    });
    const client = redis;
    app.addHook('onClose', async () => {
      await quitRedis(client);
    });
  }
  await app.register(fastifyRateLimit, {
    max: Math.max(1, rateBurst),
    timeWindow: Math.max(1, Math.round((1000 * Math.max(1, rateBurst)) / ratePerSec)),
    // Only the REST API: health checks, metrics, docs and the web client are not limited.
    allowList: (request: FastifyRequest) => !request.url.startsWith('/api/'),
    redis,
    nameSpace: `${config.redis.prefix}ratelimit:`,
    skipOnError: true,
    // Without Redis: counters for this many addresses (LRU), so memory stays bounded.
    cache: 10_000,
    // Only Retry-After, as before: the x-ratelimit-* headers would cost every response.
    addHeaders: { 'retry-after': true },
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: rateLimited,
  });
  if (roomCreatePerMin <= 0) return {};
  // A second counter for room creation; createRateLimit runs it even though the
  // global limit already ran for the request (rateLimit() would be skipped).
  const check = app.createRateLimit({
    max: roomCreatePerMin,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `room-create:${request.ip}`,
  });
  return {
    roomCreate: async (request, reply) => {
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) return;
      reply.header('Retry-After', String(Math.max(1, result.ttlInSeconds)));
      throw rateLimited();
    },
  };
}
