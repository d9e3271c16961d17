// Who reads: the key under which per-reader state (sidebar, read positions, push
// subscriptions) is kept. Open mode has no accounts, so the reader is the name
// given; accounts mode keys by account id, which survives a rename.
import type { Actor } from './actor.js';

/** `u:<username>` in open mode, `a:<account id>` in accounts mode. */
export type ReaderKey = `u:${string}` | `a:${string}`;

export const openReader = (username: string): ReaderKey => `u:${username}`;
export const accountReader = (userId: string): ReaderKey => `a:${userId}`;

/** The reader a request acts for: the account, or in open mode the `username` it names. */
export function readerKey(actor: Actor, username: string): ReaderKey {
  return actor.kind === 'user' ? accountReader(actor.userId) : openReader(username);
}
