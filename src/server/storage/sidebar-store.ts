import type { Room } from '../../protocol/rest.js';
import type { NotifyLevel } from '../../protocol/workspace.js';

/** Who the sidebar belongs to, as the store needs it (see domain/reader.ts). */
export interface SidebarReader {
  /** `u:<username>` or `a:<account id>`. */
  key: string;
  /** Messages by this username are the reader's own (never unread). */
  username: string;
  /**
   * Accounts mode: private rooms are listed only while this account is a member
   * (a row left behind by a race never shows a room the reader may not see). Null: open mode.
   */
  accountId: string | null;
}

/** One sidebar row with the counts, as stored (the room's name not yet presented per viewer). */
export interface SidebarEntry {
  room: Room;
  lastReadSeq: number;
  /** The room's newest seq (messages and, with issue 11, changes share it). */
  latestSeq: number;
  /** Messages after lastReadSeq, not deleted, not the reader's own. */
  unread: number;
  /** Of those, the ones whose mentions name the reader (case-insensitive). */
  mentions: number;
  notify: NotifyLevel;
}

/** A reader's position and notify level in one room. */
export interface ReadPosition {
  lastReadSeq: number;
  notify: NotifyLevel;
}

export type JoinResult = 'added' | 'present' | 'no_room';

/**
 * Sidebar membership and read positions, per reader, in the chat database (so
 * every process shares them). Counting is done here, in one statement for a whole
 * sidebar, by index range scans of messages on (room_id, seq).
 */
export interface SidebarStore {
  /** The reader's live rooms in the order they were joined, with counts. */
  list(reader: SidebarReader): Promise<SidebarEntry[]>;
  /** One room of the reader's sidebar with its counts; null when not in it (or the room is gone). */
  get(reader: SidebarReader, roomId: string): Promise<SidebarEntry | null>;
  /**
   * Adds a live room to the sidebar, read up to its latest seq, with `notify`.
   * `present` (nothing changed) when it is there already; `no_room` when the room is unknown or deleted.
   */
  join(readerKey: string, roomId: string, notify: NotifyLevel): Promise<JoinResult>;
  /** Removes the room from the sidebar; false when it was not in it. */
  leave(readerKey: string, roomId: string): Promise<boolean>;
  /**
   * Sets the read position to `seq`, clamped to the room's latest seq; it may
   * move back (marks the rest unread). Null when the room is not in the sidebar.
   */
  setRead(readerKey: string, roomId: string, seq: number): Promise<ReadPosition | null>;
  /** Sets the notify level; null when the room is not in the sidebar. */
  setNotify(readerKey: string, roomId: string, level: NotifyLevel): Promise<ReadPosition | null>;
  /** Takes the room out of every sidebar (it was deleted); the keys of the readers it left. */
  removeRoom(roomId: string): Promise<string[]>;
}
