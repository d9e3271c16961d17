// Row shapes of the SQLite store's queries and their mapping to protocol objects:
// pure functions, shared by the store's reads, the message log and search.
import { type Attachment, toAttachment } from '../../protocol/attachments.js';
import type { Message, Room } from '../../protocol/rest.js';
import type { StoredUpload } from './chat-store.js';
import { type ReplyColumns, withState } from './message-state.js';

export interface MessageRow {
  id: string;
  room_id: string;
  seq: number;
  username: string;
  content: string;
  timestamp: string;
  client_id: string | null;
  attachments: string | null;
  edited_at: string | null;
  reactions: string | null;
  mentions: string | null;
  reply_to: string | null;
  r_seq: number | null;
  r_username: string | null;
  r_excerpt: string | null;
  r_deleted: string | null;
}

export interface UploadRow {
  id: string;
  room_id: string;
  name: string;
  type: string;
  size: number;
  width: number | null;
  height: number | null;
  created_at: string;
  message_id: string | null;
}

export type RoomRow = Room & { pos: number };
export const toRoom = ({ id, name, created_at, visibility, owner_id, kind }: Room): Room => ({
  id,
  name,
  created_at,
  visibility,
  owner_id,
  kind,
});

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    room_id: row.room_id,
    username: row.username,
    content: row.content,
    timestamp: row.timestamp,
    seq: row.seq,
  };
  if (row.client_id !== null) message.client_id = row.client_id;
  if (row.attachments !== null) message.attachments = JSON.parse(row.attachments) as Attachment[];
  return withState(message, {
    editedAt: row.edited_at,
    reactions: row.reactions,
    mentions: row.mentions,
    reply: {
      id: row.reply_to,
      seq: row.r_seq,
      username: row.r_username,
      excerpt: row.r_excerpt,
      deleted: row.r_deleted !== null,
    },
  });
}

/** An upload as a message carries it. */
export function uploadAttachment(row: UploadRow): Attachment {
  return toAttachment(row);
}

export function toUpload(row: UploadRow): StoredUpload {
  const u: StoredUpload = {
    id: row.id,
    roomId: row.room_id,
    name: row.name,
    type: row.type,
    size: row.size,
    createdAt: row.created_at,
    messageId: row.message_id,
  };
  if (row.width !== null && row.height !== null) {
    u.width = row.width;
    u.height = row.height;
  }
  return u;
}

/** A row of SELECT_PAGE (sqlite-statements.ts) in raw mode. */
export type MessageTuple = [
  id: string,
  room_id: string,
  seq: number,
  username: string,
  content: string,
  timestamp: string,
  client_id: string | null,
  attachments: string | null,
  edited_at: string | null,
  reactions: string | null,
  mentions: string | null,
  reply_to: string | null,
];

/** The preview of a message being answered, looked up by id (undefined when gone). */
export type ReplyLookup = (id: string) => ReplyColumns | undefined;

export function tupleToMessage(row: MessageTuple, replyOf: ReplyLookup): Message {
  const message: Message = {
    id: row[0],
    room_id: row[1],
    username: row[3],
    content: row[4],
    timestamp: row[5],
    seq: row[2],
  };
  if (row[6] !== null) message.client_id = row[6];
  if (row[7] !== null) message.attachments = JSON.parse(row[7]) as Attachment[];
  // Most messages have no state of issue 11: skip the rest for them.
  if (row[8] === null && row[9] === null && row[10] === null && row[11] === null) return message;
  const none: ReplyColumns = { id: null, seq: null, username: null, excerpt: null, deleted: false };
  return withState(message, {
    editedAt: row[8],
    reactions: row[9],
    mentions: row[10],
    reply: row[11] === null ? none : (replyOf(row[11]) ?? none),
  });
}
