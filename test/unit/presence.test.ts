import { LocalPresence } from '../../src/server/presence/local-presence.js';
import { presenceContract } from '../contracts/presence-contract.js';

presenceContract('LocalPresence', () => {
  // One process: every "process" of a test is the same instance.
  const presence = new LocalPresence();
  return async () => presence;
});
