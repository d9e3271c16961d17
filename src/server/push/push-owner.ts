// Who a push subscription belongs to, as stored: the key both the routes that
// save and remove subscriptions and the audience that looks them up use.
import { usernameKey } from '../domain/accounts.js';

/**
 * The owner key of a reader's push subscriptions (reader keys: domain/reader.ts).
 * Accounts mode: the account. Open mode: the name ignoring case, the way
 * mentions match (protocol/mentions.ts) and unread mention counts are kept, so
 * `@Bob` reaches the browser that subscribed as `bob`.
 */
export function pushOwner(readerKey: string): string {
  return readerKey.startsWith('u:') ? `u:${usernameKey(readerKey.slice(2))}` : readerKey;
}
