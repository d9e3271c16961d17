import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import { assertNever } from '../util/assert-never.js';
import type { Logger } from '../util/logger.js';
import { LocalPresence } from './local-presence.js';
import type { Presence } from './presence.js';
import { RedisPresence } from './redis-presence.js';

export type { Presence, PresenceChange } from './presence.js';

export interface PresenceDeps {
  nodeId: string;
  /** Repairs are announced on the bus: a resync waits until it is up. */
  bus: MessageBus;
  log?: Logger;
  onError?: (operation: string, error: unknown) => void;
}

/** In-process, or shared through Redis (CHAT_PRESENCE). */
export function createPresence(config: Config, deps: PresenceDeps): Presence {
  const kind = config.backends.presence;
  switch (kind) {
    case 'local':
      return new LocalPresence();
    case 'redis':
      return new RedisPresence({
        url: config.redisUrl,
        prefix: config.redis.prefix,
        nodeId: deps.nodeId,
        ttlMs: config.redis.presenceTtlMs,
        heartbeatMs: config.redis.presenceHeartbeatMs,
        announceReady: () => deps.bus.ping(),
        log: deps.log,
        onError: deps.onError,
      });
    default:
      return assertNever(kind, 'presence kind');
  }
}
