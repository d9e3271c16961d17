// The one module that imports ioredis: how Parley connects to Redis and lets go
// of it. The bus and presence each open their own clients through it (a
// subscriber connection can run nothing else), with the same options.
import { Redis, type RedisOptions } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * A client that connects on `connect()`, fails commands at once while Redis is
 * down (instead of queueing without bound) and reconnects forever:
 * 100 ms, 200 ms, 400 ms … then every 2 s. `extra` adds options (a command timeout).
 */
export function createRedisClient(
  url: string,
  name: string,
  extra: Partial<RedisOptions> = {},
): Redis {
  return new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times - 1, 5), 2_000),
    // Subscriptions are restored by the bus, which then knows to catch up.
    autoResubscribe: false,
    ...extra,
  });
}

/** Closes a client politely when connected (pending replies arrive first), at once otherwise. */
export async function quitRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through
    }
  }
  client.disconnect();
}
