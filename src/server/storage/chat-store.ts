import type { Message, Room, RoomVisibility } from '../../protocol/rest.js';

export interface NewRoomOptions {
  /** The creating account (accounts mode); null or absent in open mode. */
  ownerId?: string | null;
  /** @default 'public' */
  visibility?: RoomVisibility;
  /** Accounts added as members in the same transaction (a private room's creator). */
  members?: readonly string[];
}

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

/** A position in the room list (creation order): just after the room with these keys. */
export interface RoomCursor {
  createdAt: string;
  /** Creation order among rooms created in the same millisecond (SQLite rowid, PostgreSQL pos). */
  pos: number;
}

export interface RoomPage {
  rooms: Room[];
  /** Where the next page starts; null on the last page. */
  next: RoomCursor | null;
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
  createRoom(name: string, options?: NewRoomOptions): Promise<Room>;
  /**
   * The direct-message room of a pair (`dmKey` names the pair), created private with
   * both as members unless it exists; `created` tells which. Race-free across processes.
   */
  openDm(
    name: string,
    ownerId: string,
    members: readonly [string, string],
    dmKey: string,
  ): Promise<{ room: Room; created: boolean }>;
  /** Renames a live room; null when there is none. */
  renameRoom(roomId: string, name: string): Promise<Room | null>;
  /**
   * Every room, oldest first. With `viewerId` (accounts mode): public rooms and the
   * private rooms the account is a member of.
   */
  listRooms(viewerId?: string): Promise<Room[]>;
  /** Up to `limit` rooms after `after` (from the start without it), oldest first: an index range scan. */
  listRoomsPage(limit: number, after?: RoomCursor, viewerId?: string): Promise<RoomPage>;
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
  /**
   * The history epoch: a random string naming this lineage of history. Seqs are
   * only comparable within one epoch; it changes when the history is replaced (a
   * restore), so a resume position from before is recognized as unknown.
   */
  epoch(): Promise<string>;
  /** Sets a new random epoch (after a restore) and returns it. */
  renewEpoch(): Promise<string>;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
