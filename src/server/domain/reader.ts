import type { Actor, UserActor } from './actor.js';

/**
 * Whose read state it is. Open mode has no accounts: the reader is the username
 * the client names (that mode's trust model: anyone may read or move anyone's
 * positions). Accounts mode: the account, whatever its sessions or devices.
 */
export interface Reader {
  /** `u:<username>` (open mode) or `a:<account id>` (accounts mode): the storage and bus key. */
  key: string;
  /** Whose messages are the reader's own, and the name mentions must match. */
  username: string;
  /** The account (accounts mode); null in open mode. */
  accountId: string | null;
}

/** The reader of an open-mode client calling itself `username` (already validated). */
export const openReader = (username: string): Reader => ({
  key: `u:${username}`,
  username,
  accountId: null,
});

/** The reader of an account. */
export const accountReader = (actor: UserActor): Reader => ({
  key: `a:${actor.userId}`,
  username: actor.username,
  accountId: actor.userId,
});

/** The reader key of an account known only by id (membership changes name the account, not an actor). */
export const accountReaderKey = (accountId: string): string => `a:${accountId}`;

/** The reader for a request: the account in accounts mode, else the open-mode username. */
export function readerOf(actor: Actor, username: string): Reader {
  return actor.kind === 'user' ? accountReader(actor) : openReader(username);
}

/** The bus topic of a reader's events (sidebar and read-state changes). */
export const readerTopic = (key: string): string => `reader:${key}`;
