import type { Config } from '../config.js';
import { LocalBus } from './local-bus.js';
import type { MessageBus } from './message-bus.js';

export type { MessageBus } from './message-bus.js';

export function createBus(_config: Config): MessageBus {
  return new LocalBus();
}
