// Row shapes of the PostgreSQL store's queries, the column lists that read them, and
// their mapping to protocol objects: shared by the store's reads, the message log and search.
import { type Attachment, toAttachment } from '../../protocol/attachments.js';
import type { Message, Room } from '../../protocol/rest.js';
import type { StoredUpload } from './chat-store.js';
import {
  type ChangeColumns,
  REPLY_JOIN,
  STATE_SELECT,
  toChange,
  withState,
} from './message-state.js';

export interface RoomRow {
  id: string;
  name: string;
  created_at: Date;
  visibility: Room['visibility'];
  owner_id: string | null;
  kind: Room['kind'];
}

export interface MessageRow {
  id: string;
  room_id: string;
  // BIGINT arrives as a string
  seq: string;
  username: string;
  content: string;
  timestamp: Date;
  client_id: string | null;
  attachments: string | null;
  edited_at: Date | null;
  reactions: string | null;
  mentions: string | null;
  reply_to: string | null;
  r_seq: string | null;
  r_username: string | null;
  r_excerpt: string | null;
  r_deleted: Date | null;
}

/** A change row as PostgreSQL returns it. */
export type PgChangeRow = Omit<ChangeColumns, 'seq' | 'timestamp'> & {
  seq: string;
  timestamp: Date;
};

export const toPgChange = (row: PgChangeRow) =>
  toChange({ ...row, seq: Number(row.seq), timestamp: row.timestamp.toISOString() });

export interface UploadRow {
  id: string;
  room_id: string;
  name: string;
  type: string;
  // BIGINT arrives as a string
  size: string;
  width: number | null;
  height: number | null;
  created_at: Date;
  message_id: string | null;
}

/** A message in its current state, with its reply target (message-state.ts); `m` is the message. */
export const SELECT_MESSAGE = `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp,
  m.client_id, m.attachments, ${STATE_SELECT} FROM messages m ${REPLY_JOIN}`;
export const UPLOAD_COLUMNS =
  'id, room_id, name, type, size, width, height, created_at, message_id';

export function toUpload(row: UploadRow): StoredUpload {
  const u: StoredUpload = {
    id: row.id,
    roomId: row.room_id,
    name: row.name,
    type: row.type,
    size: Number(row.size),
    createdAt: row.created_at.toISOString(),
    messageId: row.message_id,
  };
  if (row.width !== null && row.height !== null) {
    u.width = row.width;
    u.height = row.height;
  }
  return u;
}

/** An upload as a message carries it. */
export function uploadAttachment(row: UploadRow): Attachment {
  return toAttachment({ ...row, size: Number(row.size) });
}

export function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    name: row.name,
    created_at: row.created_at.toISOString(),
    visibility: row.visibility,
    owner_id: row.owner_id,
    kind: row.kind,
  };
}

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    room_id: row.room_id,
    username: row.username,
    content: row.content,
    timestamp: row.timestamp.toISOString(),
    seq: Number(row.seq),
  };
  if (row.client_id !== null) message.client_id = row.client_id;
  if (row.attachments !== null) message.attachments = JSON.parse(row.attachments) as Attachment[];
  if (row.edited_at === null && row.reactions === null && row.mentions === null && !row.reply_to) {
    return message;
  }
  return withState(message, {
    editedAt: row.edited_at?.toISOString() ?? null,
    reactions: row.reactions,
    mentions: row.mentions,
    reply: {
      id: row.reply_to,
      seq: row.r_seq === null ? null : Number(row.r_seq),
      username: row.r_username,
      excerpt: row.r_excerpt,
      deleted: row.r_deleted !== null,
    },
  });
}

/** PostgreSQL text cannot hold NUL; an id containing one cannot name a stored room. */
export const storable = (id: string): boolean => !id.includes('\u0000');
