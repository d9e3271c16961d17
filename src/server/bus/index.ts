import type { Config } from '../config.js';
import { assertNever } from '../util/assert-never.js';
import type { Logger } from '../util/logger.js';
import { LocalBus } from './local-bus.js';
import type { MessageBus } from './message-bus.js';
import { RedisBus } from './redis-bus.js';

export type { MessageBus } from './message-bus.js';

export interface BusDeps {
  /** This process, as named in logs and metrics. */
  nodeId: string;
  log?: Logger;
  /** Told about every transport failure (metrics). */
  onError?: (operation: string, error: unknown) => void;
}

export function createBus(config: Config, deps: BusDeps): MessageBus {
  const kind = config.backends.bus;
  switch (kind) {
    case 'local':
      return new LocalBus();
    case 'redis':
      return new RedisBus({
        url: config.redisUrl,
        prefix: config.redis.prefix,
        nodeId: deps.nodeId,
        log: deps.log,
        onError: deps.onError,
      });
    default:
      return assertNever(kind, 'bus kind');
  }
}
