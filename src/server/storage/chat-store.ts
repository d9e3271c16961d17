import type { ChangeKind, MessageChange } from '../../protocol/changes.js';
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
  /**
   * Upload ids to attach: each must be an upload of this room not sent yet, else
   * the append fails with `attachment_invalid` (and nothing is stored). The stored
   * content gets one line per file after the text (composeContent).
   */
  attachments?: readonly string[];
  /**
   * The id of a live message of the same room this one answers; otherwise the
   * append fails with `reply_not_found` (and nothing is stored).
   */
  replyTo?: string;
}

/**
 * A change to a message (issue 11), already allowed by the domain
 * (message-permissions.ts): the store checks only what may change under it
 * (the message being deleted meanwhile, the reaction limit).
 */
export interface NewChange {
  roomId: string;
  messageId: string;
  kind: ChangeKind;
  /** Who makes the change. */
  username: string;
  /** `edit`: the new text (normalized, checked); files' lines are kept after it. */
  content?: string;
  /** `react` and `unreact`. */
  emoji?: string;
  /**
   * Idempotency key, per sender, in the same space as messages' keys: a second
   * change by `username` with this key in the room returns the first change.
   */
  clientId?: string;
}

export type ChangeResult =
  | {
      ok: true;
      change: MessageChange;
      /** The message's current state after the change; null once deleted. */
      message: Message | null;
      duplicate: boolean;
      /**
       * `delete`: upload ids whose blobs are now to be deleted (the rows are marked
       * like abandoned uploads, so a later sweep finishes the job should this fail).
       */
      releasedUploads: string[];
    }
  | {
      ok: false;
      /** `client_id_taken`: this sender's key already names a message of the room. */
      reason: 'room_not_found' | 'message_not_found' | 'too_many_reactions' | 'client_id_taken';
    };

/** One entry of a room's ordered log: a message (current state) or a change. */
export type LogEntry =
  | { kind: 'message'; seq: number; message: Message }
  | { kind: 'change'; seq: number; change: MessageChange };

/** A message as stored, tombstones included (for deciding who may change it). */
export interface StoredMessage {
  message: Message;
  deleted: boolean;
}

/** A file uploaded to a room, waiting to be sent with a message or sent already. */
export interface NewUpload {
  /** The blob id: uploads and their blobs share ids. */
  id: string;
  roomId: string;
  name: string;
  type: string;
  size: number;
  width?: number;
  height?: number;
}

export interface StoredUpload extends NewUpload {
  createdAt: string;
  /** The message it was sent with; null while unsent. */
  messageId: string | null;
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

/** A search, already parsed (protocol/search-query.ts) and scoped to rooms. */
export interface SearchParams {
  /** Phrases of normalized tokens that must all occur (may be empty when filters are given). */
  include: readonly (readonly string[])[];
  /** Phrases that must not occur. */
  exclude: readonly (readonly string[])[];
  /** Sent by any of these usernames (exact); empty: anyone. */
  from: readonly string[];
  /** In any room of these names (exact); empty: any room. */
  roomNames: readonly string[];
  /**
   * The rooms the searcher may read; undefined: every room. Deleted rooms are never
   * searched either way. This is the privacy boundary: a room not listed is never returned.
   */
  roomIds?: readonly string[];
  /** ISO instants: timestamp >= after, timestamp < before. */
  after?: string;
  before?: string;
  limit: number;
  /** Only hits older than this position (from a previous page's last hit). */
  beforePos?: number;
}

export interface SearchHit {
  message: Message;
  room: { id: string; name: string };
  /** The message's place in storage order, for paging (newest first). */
  pos: number;
}

export type AppendResult =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; reason: 'room_not_found' }
  | { ok: false; reason: 'attachment_invalid' }
  | { ok: false; reason: 'reply_not_found' };

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
  /**
   * Applies a batch of changes in one transaction, in order, each taking the
   * room's next `seq` (the counter messages use). Resolves after the commit.
   */
  applyChanges(batch: readonly NewChange[]): Promise<ChangeResult[]>;
  /** A message of the room, a deleted one (tombstone) included; null when unknown. */
  getMessage(roomId: string, messageId: string): Promise<StoredMessage | null>;
  /**
   * The most recent `limit` live messages with `seq < beforeSeq` (if given), oldest
   * first, in their current state; deleted messages are omitted.
   */
  recentMessages(roomId: string, limit: number, beforeSeq?: number): Promise<Message[]>;
  /** Up to `limit` live messages with `seq > afterSeq`, oldest first, current state. */
  messagesAfter(roomId: string, afterSeq: number, limit: number): Promise<Message[]>;
  /**
   * Up to `limit` log entries with `seq > afterSeq`, in seq order (resume and gap
   * filling): live messages in their current state and changes. Deleted messages
   * are left out, and so are the changes of deleted messages but their `delete`.
   */
  entriesAfter(roomId: string, afterSeq: number, limit: number): Promise<LogEntry[]>;
  /**
   * Messages matching a search, newest (most recently stored) first. The index is
   * updated in the transaction that stores a message, so a committed message is
   * findable at once, and a purged one is not.
   */
  searchMessages(params: SearchParams): Promise<SearchHit[]>;
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
  /** Records an uploaded file; false when the room is unknown or deleted. */
  createUpload(upload: NewUpload): Promise<boolean>;
  /** An upload of a live room, or null (unknown, room deleted, being swept). */
  getUpload(uploadId: string): Promise<StoredUpload | null>;
  /** Up to `limit` ids of uploads whose room is deleted: their blobs go, then forgetUploads(). */
  deletedRoomUploads(limit: number): Promise<string[]>;
  /**
   * Marks unsent uploads created before `createdBefore` (ISO) as being swept, so no
   * message can take them any more, and returns up to `limit` ids of marked uploads
   * (those marked by an earlier, interrupted sweep too).
   */
  claimAbandonedUploads(createdBefore: string, limit: number): Promise<string[]>;
  /** Deletes these upload rows (after their blobs); resolves with how many were there. */
  forgetUploads(uploadIds: readonly string[]): Promise<number>;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
