import type { Config } from '../config.js';
import { LocalPresence } from './local-presence.js';
import type { Presence } from './presence.js';

export type { Presence, PresenceChange } from './presence.js';

export function createPresence(_config: Config): Presence {
  return new LocalPresence();
}
