import type { Message, Room } from '../../protocol/rest.js';

export interface NewMessage {
  roomId: string;
  username: string;
  content: string;
  /**
   * Idempotency key, scoped to the sender: a second append by the same `username`
   * with the same key in the room returns the first message.
   */
  clientId?: string;
}

export type AppendResult =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; reason: 'room_not_found' };

/**
 * Durable storage for rooms and messages: the source of truth. Every method is
 * async, even over synchronous SQLite, so callers do not change with the backend.
 */
export interface ChatStore {
  /** Opens the database and applies pending migrations. */
  init(): Promise<void>;
  createRoom(name: string): Promise<Room>;
  listRooms(): Promise<Room[]>;
  getRoom(roomId: string): Promise<Room | null>;
  /**
   * Marks the room deleted in one small transaction: from then on it is unknown to
   * every other method (listing, history, appends), and its messages wait for
   * purgeSlice(). False when there was no such (undeleted) room.
   */
  deleteRoom(roomId: string): Promise<boolean>;
  /**
   * Removes up to `limit` rows left behind by deleted rooms (their messages, then
   * the room row itself) in one short transaction. Resolves with the rows removed:
   * 0 means nothing is left to purge. Safe to interrupt at any point.
   */
  purgeSlice(limit: number): Promise<number>;
  /**
   * Appends a batch in one transaction, giving each message the room's next `seq`.
   * Results are in input order. Resolves only after the batch is committed.
   */
  appendMessages(batch: readonly NewMessage[]): Promise<AppendResult[]>;
  /** The most recent `limit` messages with `seq < beforeSeq` (if given), oldest first. */
  recentMessages(roomId: string, limit: number, beforeSeq?: number): Promise<Message[]>;
  /** Up to `limit` messages with `seq > afterSeq`, oldest first (resume). */
  messagesAfter(roomId: string, afterSeq: number, limit: number): Promise<Message[]>;
  /** The room's newest seq (0 when empty), or null for an unknown room. */
  latestSeq(roomId: string): Promise<number | null>;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
